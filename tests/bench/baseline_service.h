// The baselines convene-bench and checkin_bench measure against, in the same
// run: a bare gRPC AttendanceService whose CheckIn makes one EVALSHA of
// kBaselineScript (loaded by the caller) and nothing else. What Convene adds
// on top of "one script per call" is the difference. Three designs, because
// which is fastest depends on the machine:
//
//   CallbackInlineBaseline  callback API; the handler makes a blocking
//                           EVALSHA on its thread's own hiredis connection
//                           and finishes inline
//   CallbackAsyncBaseline   callback API; the handler sends the EVALSHA
//                           through Convene's async Redis client and
//                           finishes from its reply (the design Convene uses)
//   SyncBaseline            synchronous API, one blocking EVALSHA per call
//                           (a reference row: what the bench called
//                           "baseline" before)
#ifndef CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_
#define CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <hiredis/hiredis.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "convene/v1/attendance.grpc.pb.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"

namespace convene::bench {

constexpr char kBaselineScript[] =
    "return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)";
constexpr char kBaselineKey[] = "bench:baseline";

// One blocking EVALSHA on the calling thread's own connection (made on first
// use, remade when it broke, closed when the thread ends: gRPC's thread
// pools grow and shrink).
inline grpc::Status BlockingEvalSha(const storage::RedisAddress& address, const std::string& sha,
                                    const std::string& participant_id) {
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
      redis.c = address.kind() == storage::RedisAddress::Kind::kUnix
                    ? redisConnectUnix(address.unix_path().c_str())
                    : redisConnect(address.host().c_str(), address.port());
    }
    if (redis.c == nullptr) break;
    auto* reply = static_cast<redisReply*>(redisCommand(
        redis.c, "EVALSHA %s 1 %s %s", sha.c_str(), kBaselineKey, participant_id.c_str()));
    if (reply == nullptr) continue;  // the connection broke: make another
    freeReplyObject(reply);
    return grpc::Status::OK;
  }
  return grpc::Status(
      grpc::StatusCode::UNAVAILABLE,
      absl::StrCat("redis: ", redis.c != nullptr ? redis.c->errstr : "no connection"));
}

class SyncBaseline final : public v1::AttendanceService::Service {
 public:
  SyncBaseline(storage::RedisAddress address, std::string sha)
      : address_(std::move(address)), sha_(std::move(sha)) {}

  grpc::Status CheckIn(grpc::ServerContext*, const v1::CheckInRequest* request,
                       v1::CheckInRecord* response) override {
    response->set_participant_id(request->participant_id());
    return BlockingEvalSha(address_, sha_, request->participant_id());
  }

 private:
  storage::RedisAddress address_;
  std::string sha_;
};

class CallbackInlineBaseline final : public v1::AttendanceService::CallbackService {
 public:
  CallbackInlineBaseline(storage::RedisAddress address, std::string sha)
      : address_(std::move(address)), sha_(std::move(sha)) {}

  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* context,
                                    const v1::CheckInRequest* request,
                                    v1::CheckInRecord* response) override {
    response->set_participant_id(request->participant_id());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(BlockingEvalSha(address_, sha_, request->participant_id()));
    return reactor;
  }

 private:
  storage::RedisAddress address_;
  std::string sha_;
};

class CallbackAsyncBaseline final : public v1::AttendanceService::CallbackService {
 public:
  // `redis` must outlive the service.
  CallbackAsyncBaseline(storage::RedisClient& redis, std::string sha)
      : redis_(redis), sha_(std::move(sha)) {}

  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* context,
                                    const v1::CheckInRequest* request,
                                    v1::CheckInRecord* response) override {
    response->set_participant_id(request->participant_id());
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    redis_.Command({"EVALSHA", sha_, "1", kBaselineKey, request->participant_id()},
                   [reactor](absl::StatusOr<storage::RedisReply> reply) {
                     reactor->Finish(reply.ok() ? grpc::Status::OK
                                                : grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                               std::string(
                                                                   reply.status().message())));
                   });
    return reactor;
  }

 private:
  storage::RedisClient& redis_;
  std::string sha_;
};

}  // namespace convene::bench

#endif  // CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_
