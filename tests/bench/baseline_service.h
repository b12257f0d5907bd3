// The baseline both CheckIn benchmarks measure against, in the same run: a
// bare synchronous gRPC AttendanceService whose CheckIn makes one blocking
// EVALSHA (of kBaselineScript, loaded by the caller) and nothing else. What
// Convene adds on top of "one script per call" is the difference.
#ifndef CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_
#define CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <hiredis/hiredis.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "convene/v1/attendance.grpc.pb.h"
#include "storage/redis_address.h"

namespace convene::bench {

constexpr char kBaselineScript[] =
    "return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)";

// The baseline: one blocking EVALSHA per call on a connection per thread.
class BaselineService final : public v1::AttendanceService::Service {
 public:
  BaselineService(storage::RedisAddress address, std::string sha)
      : address_(std::move(address)), sha_(std::move(sha)) {}

  grpc::Status CheckIn(grpc::ServerContext*, const v1::CheckInRequest* request,
                       v1::CheckInRecord* response) override {
    // One connection per server thread, closed when the thread ends (gRPC's
    // sync server grows and shrinks its pool; leaked connections would run
    // the process out of file descriptors and fail the baseline's calls).
    struct Connection {
      redisContext* c = nullptr;
      ~Connection() {
        if (c != nullptr) redisFree(c);
      }
    };
    thread_local Connection redis;
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (redis.c == nullptr || redis.c->err != 0) {
        if (redis.c != nullptr) redisFree(redis.c);
        redis.c = Connect();
      }
      if (redis.c == nullptr) break;
      auto* reply = static_cast<redisReply*>(
          redisCommand(redis.c, "EVALSHA %s 1 bench:baseline %s", sha_.c_str(),
                       request->participant_id().c_str()));
      if (reply == nullptr) continue;  // the connection broke: make another
      freeReplyObject(reply);
      response->set_participant_id(request->participant_id());
      return grpc::Status::OK;
    }
    return grpc::Status(
        grpc::StatusCode::UNAVAILABLE,
        absl::StrCat("redis: ", redis.c != nullptr ? redis.c->errstr : "no connection"));
  }

 private:
  redisContext* Connect() const {
    if (address_.kind() == storage::RedisAddress::Kind::kUnix) {
      return redisConnectUnix(address_.unix_path().c_str());
    }
    return redisConnect(address_.host().c_str(), address_.port());
  }

  storage::RedisAddress address_;
  std::string sha_;
};

}  // namespace convene::bench

#endif  // CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_
