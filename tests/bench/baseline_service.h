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
//
// And LeastWorkReference: the CallbackAsyncBaseline design whose CheckIn
// and Register scripts do the least that any check-in or registration
// which checks its input, stores it once and tells the other services
// must do (kLeastCheckInScript, kLeastRegisterScript), and
// LeastReadReference: a CalendarService whose ListEvents and GetAgenda
// answer with bytes kept from Convene's own answers after one Redis
// command (is what is kept still current?). Their rows bound from above
// what any implementation of those calls can reach on the machine.
#ifndef CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_
#define CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_

#include <grpcpp/grpcpp.h>
#include <hiredis/hiredis.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "convene/v1/calendar.grpc.pb.h"
#include "rpc/raw_message.h"

#include "absl/strings/str_cat.h"
#include "convene/v1/attendance.grpc.pb.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"

namespace convene::bench {

constexpr char kBaselineScript[] =
    "return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)";
constexpr char kBaselineKey[] = "bench:baseline";

// The least a check-in must do: read the participant's registration (is
// there one?), store the record once (a repeat stores nothing) and append
// the change entry the other services follow. Convene's check-in also
// checks the day or session, the window, the mode and the seat, keeps the
// request id, counts per group and publishes the counts.
//   KEYS: 1 the registration, 2 the event's check-ins, 3 its change stream
//   ARGV: 1 participant, 2 session, 3 record
constexpr char kLeastCheckInScript[] = R"(
local held = redis.call('HMGET', KEYS[1], 'days', 'status', 'mode', 'erased', 'walk_in')
if not held[1] then return redis.error_reply('NOT_FOUND not registered') end
if redis.call('HSETNX', KEYS[2], ARGV[2] .. ':' .. ARGV[1], ARGV[3]) == 0 then return 0 end
redis.call('XADD', KEYS[3], '*', 'kind', 'checked_in', 'participant', ARGV[1],
  'scope', ARGV[2], 'mode', 'in_person')
return 1)";

// The least a registration must do: store the participant once (a retry
// stores nothing), count the place, index the participant and append the
// change entry. Convene's registration also checks capacity per day and
// mode, waitlists, keeps the request id, counts per city and
// organisation, and writes the contact entry notification follows.
//   KEYS: 1 the registration, 2 the event's counters, 3 its index, 4 its
//   change stream
//   ARGV: 1 participant, 2 mode, then field, value pairs
constexpr char kLeastRegisterScript[] = R"(
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local fields = {}
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], 'mode', ARGV[2], 'status', 'confirmed', unpack(fields))
redis.call('HINCRBY', KEYS[2], 'reg:' .. ARGV[2], 1)
redis.call('ZADD', KEYS[3], redis.call('HINCRBY', KEYS[2], 'seq', 1), ARGV[1])
redis.call('XADD', KEYS[4], '*', 'kind', 'registered', 'participant', ARGV[1], 'mode', ARGV[2])
return 1)";

// Registers `participants` (p0 ... p<participants - 1>) for
// kLeastCheckInScript, in one call.
constexpr char kLeastCheckInFixture[] = R"(
for i = 0, tonumber(ARGV[1]) - 1 do
  redis.call('HSET', 'bench:least:{e}:reg:p' .. i, 'days', 'all', 'status', 'confirmed',
    'mode', 'in_person')
end
return 1)";

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

class LeastWorkReference final : public v1::AttendanceService::CallbackService {
 public:
  // `redis` must outlive the service; the scripts are loaded by the caller.
  LeastWorkReference(storage::RedisClient& redis, std::string check_in_sha,
                     std::string register_sha)
      : redis_(redis),
        check_in_sha_(std::move(check_in_sha)),
        register_sha_(std::move(register_sha)) {}

  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* context,
                                    const v1::CheckInRequest* request,
                                    v1::CheckInRecord* response) override {
    response->set_participant_id(request->participant_id());
    std::vector<std::string> command = {
        "EVALSHA", check_in_sha_, "3",
        absl::StrCat("bench:least:{e}:reg:", request->participant_id()),
        "bench:least:{e}:checkins", "bench:least:{e}:changes", request->participant_id(),
        request->session_id(), "in_person|badge|0|1||0"};
    return Run(context, std::move(command));
  }

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* context,
                                     const v1::RegisterRequest* request,
                                     v1::Registration* response) override {
    const v1::Participant& p = request->participant();
    *response->mutable_participant() = p;
    std::vector<std::string> command = {
        "EVALSHA", register_sha_, "4",
        absl::StrCat("bench:least:{r}:reg:", p.participant_id()), "bench:least:{r}:counters",
        "bench:least:{r}:index", "bench:least:{r}:changes", p.participant_id(),
        request->mode() == v1::ATTENDANCE_MODE_ONLINE ? "online" : "in_person",
        "display_name", p.display_name(), "email", p.email(), "organisation", p.organisation(),
        "city", p.city()};
    return Run(context, std::move(command));
  }

 private:
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                                std::vector<std::string> command) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    redis_.Command(std::move(command), [reactor](absl::StatusOr<storage::RedisReply> reply) {
      reactor->Finish(reply.ok() ? grpc::Status::OK
                                 : grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                std::string(reply.status().message())));
    });
    return reactor;
  }

  storage::RedisClient& redis_;
  std::string check_in_sha_;
  std::string register_sha_;
};

// What LeastReadReference answers with: Convene's own answers, encoded.
struct KeptReadAnswers {
  std::string page;  // a ListEventsResponse
  // "event id\nviewer zone" -> an Agenda
  absl::flat_hash_map<std::string, std::string> agendas;
};

class LeastReadReference final
    : public v1::CalendarService::WithRawCallbackMethod_ListEvents<
          v1::CalendarService::WithRawCallbackMethod_GetAgenda<
              v1::CalendarService::CallbackService>> {
 public:
  // `redis` must outlive the service.
  LeastReadReference(storage::RedisClient& redis, std::shared_ptr<const KeptReadAnswers> kept)
      : redis_(redis), kept_(std::move(kept)) {}

  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* request_bytes,
                                       grpc::ByteBuffer* response_bytes) override {
    v1::ListEventsRequest request;
    absl::Status parsed = rpc::ParseRawRequest(*request_bytes, request);
    return Answer(context, parsed.ok() ? &kept_->page : nullptr, response_bytes);
  }

  grpc::ServerUnaryReactor* GetAgenda(grpc::CallbackServerContext* context,
                                      const grpc::ByteBuffer* request_bytes,
                                      grpc::ByteBuffer* response_bytes) override {
    v1::GetAgendaRequest request;
    const std::string* answer = nullptr;
    if (rpc::ParseRawRequest(*request_bytes, request).ok()) {
      auto it = kept_->agendas.find(
          absl::StrCat(request.event_id(), "\n", request.viewer_time_zone()));
      if (it != kept_->agendas.end()) answer = &it->second;
    }
    return Answer(context, answer, response_bytes);
  }

 private:
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context,
                                   const std::string* answer, grpc::ByteBuffer* out) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    if (answer == nullptr) {
      reactor->Finish(grpc::Status(grpc::StatusCode::NOT_FOUND, "no kept answer"));
      return reactor;
    }
    redis_.Command({"GET", "bench:least:{c}:head"},
                   [this, reactor, answer, out](absl::StatusOr<storage::RedisReply> reply) {
                     if (!reply.ok()) {
                       return reactor->Finish(grpc::Status(
                           grpc::StatusCode::UNAVAILABLE, std::string(reply.status().message())));
                     }
                     rpc::SendShared(kept_, *answer, *out);
                     reactor->Finish(grpc::Status::OK);
                   });
    return reactor;
  }

  storage::RedisClient& redis_;
  std::shared_ptr<const KeptReadAnswers> kept_;
};

}  // namespace convene::bench

#endif  // CONVENE_TESTS_BENCH_BASELINE_SERVICE_H_
