// checkin_bench: CheckIn through the real attendance service (gRPC callback
// API, hiredis async on its own loop) against a baseline measured in the
// same run: a bare callback-API gRPC server whose handler makes one blocking
// EVALSHA per call to the same Redis (bench::CallbackInlineBaseline; see
// convene-bench for every baseline design). Prints QPS, p50/p99 latency and Redis
// commands per RPC (INFO commandstats); asserts nothing.
//
//   build/tests/bench/checkin_bench [--in_flight=64] [--seconds=5]
#include <grpcpp/grpcpp.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "attendance/attendance_app.h"
#include "attendance/attendance_handler.h"
#include "attendance/counts_watch.h"
#include "calendar/calendar_app.h"
#include "convene/v1/attendance.grpc.pb.h"
#include "core/clock.h"
#include "core/log.h"
#include "rpc/server_runner.h"
#include "attendance/attendance_store.h"
#include "calendar/calendar_store.h"
#include "attendance/event_sheet_store.h"
#include "baseline_service.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_server.h"

ABSL_FLAG(int, in_flight, 64, "RPCs kept in flight");
ABSL_FLAG(int, seconds, 5, "seconds each run lasts");
ABSL_FLAG(int, participants, 5000, "registered participants to check in");

namespace convene {
namespace {

using testing_util::Await;

using bench::CallbackInlineBaseline;
using bench::kBaselineScript;

struct RunFigures {
  double qps = 0, p50_ms = 0, p99_ms = 0;
  int64_t ok = 0, failed = 0;
  std::string first_error;
};

// Keeps `in_flight` CheckIn calls going for `seconds`, each on the next
// participant and session, scanned as the session starts (inside its day's
// check-in window).
RunFigures Drive(const std::string& target, const core::Event& event,
                 int participants, int in_flight, int seconds) {
  auto channel =
      grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto stub = v1::AttendanceService::NewStub(channel);
  const std::string& event_id = event.id;
  const int num_sessions = static_cast<int>(std::min<size_t>(5, event.sessions.size()));
  absl::Mutex mu;
  std::vector<double> latencies;
  RunFigures f;
  std::atomic<int64_t> next{0};
  int active = 0;
  const absl::Time end = absl::Now() + absl::Seconds(seconds);
  struct Call {
    grpc::ClientContext context;
    v1::CheckInRequest request;
    v1::CheckInRecord response;
    absl::Time start;
  };
  std::function<void()> start_one = [&]() {
    auto* call = new Call;
    const int64_t n = next++;
    call->request.set_event_id(event_id);
    call->request.set_participant_id(absl::StrCat("p", n % participants));
    const core::Session& session = event.sessions[(n / participants) % num_sessions];
    call->request.set_session_id(session.id);
    const int64_t scanned_ms = absl::ToUnixMillis(session.start);
    call->request.mutable_occurred_time()->set_seconds(scanned_ms / 1000);
    call->request.set_mode(v1::ATTENDANCE_MODE_IN_PERSON);
    call->request.set_source(v1::CHECK_IN_SOURCE_BADGE);
    call->request.set_request_id(absl::StrCat("bench-", n));
    call->context.set_deadline(std::chrono::system_clock::now() +
                               std::chrono::seconds(10));
    call->start = absl::Now();
    stub->async()->CheckIn(&call->context, &call->request, &call->response,
                           [&, call](grpc::Status status) {
                             const double ms = absl::ToDoubleMilliseconds(
                                 absl::Now() - call->start);
                             bool again;
                             {
                               absl::MutexLock lock(&mu);
                               if (status.ok()) {
                                 ++f.ok;
                                 latencies.push_back(ms);
                               } else {
                                 if (f.failed++ == 0)
                                   f.first_error = status.error_message();
                               }
                               again = absl::Now() < end;
                               if (!again) --active;
                             }
                             delete call;
                             if (again) start_one();
                           });
  };
  const absl::Time started = absl::Now();
  {
    absl::MutexLock lock(&mu);
    active = in_flight;
  }
  for (int i = 0; i < in_flight; ++i) start_one();
  absl::MutexLock lock(&mu);
  mu.Await(absl::Condition(
      +[](int* a) { return *a == 0; }, &active));
  const double elapsed = absl::ToDoubleSeconds(absl::Now() - started);
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    f.p50_ms = latencies[latencies.size() / 2];
    f.p99_ms = latencies[latencies.size() * 99 / 100];
  }
  f.qps = f.ok / elapsed;
  return f;
}

std::map<std::string, int64_t> CommandCalls(storage::RedisSyncClient& redis) {
  std::map<std::string, int64_t> calls;
  absl::StatusOr<storage::RedisReply> info =
      redis.Command({"INFO", "commandstats"});
  if (!info.ok()) return calls;
  for (absl::string_view line : absl::StrSplit(info->text(), "\r\n")) {
    // cmdstat_evalsha:calls=12,usec=...
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    const size_t colon = line.find(':');
    const size_t eq = line.find("calls=");
    const size_t comma = line.find(',', eq);
    int64_t n = 0;
    if (colon != absl::string_view::npos && eq != absl::string_view::npos &&
        absl::SimpleAtoi(line.substr(eq + 6, comma - eq - 6), &n)) {
      calls[std::string(line.substr(0, colon))] = n;
    }
  }
  return calls;
}

void Report(const char* name, const RunFigures& f,
            const std::map<std::string, int64_t>& before,
            const std::map<std::string, int64_t>& after) {
  int64_t total = 0, evalsha = 0;
  for (const auto& [cmd, n] : after) {
    if (cmd == "info") continue;
    const int64_t delta = n - (before.count(cmd) ? before.at(cmd) : 0);
    total += delta;
    if (cmd == "evalsha" || cmd == "fcall" || cmd == "fcall_ro") evalsha += delta;
  }
  const double rpcs = std::max<int64_t>(f.ok + f.failed, 1);
  std::printf("%-22s %9.0f %9.2f %9.2f %12.2f %14.2f %8lld\n", name, f.qps,
              f.p50_ms, f.p99_ms, evalsha / rpcs, total / rpcs,
              static_cast<long long>(f.failed));
  if (f.failed > 0) std::printf("  first error: %s\n", f.first_error.c_str());
  std::fflush(stdout);
}

int Run() {
  core::SetMinLogLevel(core::LogLevel::kWarn);
  const int in_flight = absl::GetFlag(FLAGS_in_flight);
  const int seconds = absl::GetFlag(FLAGS_seconds);
  const int participants = absl::GetFlag(FLAGS_participants);
  auto server = testing_util::RedisServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "%s\n", server.status().ToString().c_str());
    return 1;
  }
  storage::RedisClientOptions options;
  options.address = *storage::RedisAddress::Parse((*server)->address());
  auto redis = *storage::RedisClient::Start(options);
  storage::RedisSyncClient sync(*redis);
  core::SystemClock clock;

  // The Thessaloniki workshop, with room for everyone.
  storage::CalendarStore calendar_store(*redis);
  storage::EventSheetStore sheets(*redis);
  attendance::SheetBuilder builder(*redis, sheets);
  calendar::CalendarApp calendar(calendar_store, clock);
  core::Event e =
      testing_util::ConnectionCalendar()[testing_util::kThessalonikiWorkshop];
  e.venue.in_person_capacity = 0;
  absl::StatusOr<core::Event> event = Await<core::Event>(
      [&](auto done) { calendar.CreateEvent("bench", e, std::move(done)); });
  if (!event.ok()) return 1;
  storage::AttendanceStore store(*redis);
  // Its sheet is built from the calendar's change on the first call.
  attendance::AttendanceApp app(store, clock, &builder);
  for (int i = 0; i < participants; ++i) {
    core::ParticipantInfo p{absl::StrCat("p", i),
                            absl::StrCat("Participant ", i),
                            "",
                            "",
                            "Thessaloniki",
                            "",
                            "",
                            ""};
    if (!Await<core::Registration>([&](auto done) {
           app.Register(event->id, absl::StrCat("r", i), p,
                        core::AttendanceMode::kInPerson, {}, std::move(done));
         }).ok()) {
      return 1;
    }
  }

  auto hub = attendance::CountsHub::Start(options);
  if (!hub.ok()) return 1;
  (*hub)->ReadFrom(app, clock);
  attendance::AttendanceHandler handler(app, **hub, clock);
  rpc::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.log_rpcs = false;
  rpc::ServerOptions server_options;
  server_options.name = "convene-attendance";
  server_options.services = {&handler};
  server_options.handle_shutdown_signals = false;
  server_options.announce = nullptr;
  auto convene_server =
      rpc::ServerRunner::Start(config, std::move(server_options));
  if (!convene_server.ok()) return 1;

  absl::StatusOr<storage::RedisReply> sha =
      sync.Command({"SCRIPT", "LOAD", kBaselineScript});
  CallbackInlineBaseline baseline(
      *storage::RedisAddress::Parse("unix://" + (*server)->socket_path()), sha->text());
  rpc::ServerOptions baseline_options;
  baseline_options.name = "baseline";
  baseline_options.services = {&baseline};
  baseline_options.handle_shutdown_signals = false;
  baseline_options.announce = nullptr;
  auto baseline_server =
      rpc::ServerRunner::Start(config, std::move(baseline_options));
  if (!baseline_server.ok()) return 1;

  std::printf(
      "CheckIn, %d RPCs in flight, %d s per run, %d registered participants, "
      "client and servers in one process on loopback, private redis-server "
      "on a unix socket\n",
      in_flight, seconds, participants);
  std::printf("%-22s %9s %9s %9s %12s %14s %8s\n", "server", "QPS", "p50 ms",
              "p99 ms", "scripts/RPC", "redis cmds/RPC", "failed");
  auto before = CommandCalls(sync);
  RunFigures base = Drive((*baseline_server)->address(), *event,
                          participants, in_flight, seconds);
  auto middle = CommandCalls(sync);
  Report("baseline (callback, 1 EVALSHA)", base, before, middle);
  RunFigures ours = Drive((*convene_server)->address(), *event, participants,
                          in_flight, seconds);
  auto after = CommandCalls(sync);
  Report("convene CheckIn", ours, middle, after);
  std::printf(
      "ratio: QPS %.2fx of baseline, p99 %.2fx of baseline "
      "(redis cmds/RPC counts the commands inside scripts too)\n",
      ours.qps / std::max(base.qps, 1.0),
      ours.p99_ms / std::max(base.p99_ms, 1e-9));
  (*convene_server)->Stop();
  (*baseline_server)->Stop();
  return 0;
}

}  // namespace
}  // namespace convene

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return convene::Run();
}
