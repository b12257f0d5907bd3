// convene-bench: Convene's hot RPCs (CheckIn, Register, ListEvents,
// GetAgenda), each with K calls kept in flight for a set time and again with
// one sequential caller (K=1, as a calendar integration often calls), next to
// baselines measured in the same run: bare gRPC servers whose CheckIn makes
// one EVALSHA of a one-HINCRBY script per call to the same Redis
// (tests/bench/baseline_service.h: callback API inline, callback API through
// the async Redis client, and the synchronous API for reference). The faster
// callback design is "baseline"; every ratio is over it. Each RPC's main
// row runs in one-second slices alternating with the baseline's (and its
// reference's, below), and its ratios are over those slices: on a shared
// machine whose speed moves by a third within minutes, a baseline measured
// once at the start would make each ratio a measure of the drift. Prints, per row,
// QPS, p50/p99/p999 latency, failed calls, Redis commands per RPC (INFO
// commandstats: the commands inside scripts count too), Redis CPU per RPC
// (INFO cpu, user + system, over the row's calls) and, for Register, Redis
// memory per registration. CheckIn's main row is new check-ins only (each
// participant once per session); repeats have their own row. After
// each RPC's rows, a "reference: least" row runs the same calls against a
// bare server that does the least the call must do (baseline_service.h:
// one script per check-in or registration; reads answered with Convene's
// own answers, kept as bytes, after one Redis command): how far any
// implementation could go on this machine. Asserts nothing.
//
// By default it starts a private redis-server and the calendar and
// attendance services in this process (the binaries' own wiring, without
// authentication); --server points it at a running Convene instead, and
// --server_redis at that server's Redis for the Redis figures and the
// baselines.
//
//   build/tests/bench/convene-bench [--in_flight=64] [--seconds=5]
//       [--rpcs=CheckIn,Register,ListEvents,GetAgenda] [--k1_seconds=2]
//   build/tests/bench/convene-bench --server=127.0.0.1:50051
//       --server_redis=unix:///path/redis.sock --token="$(cat .run/admin-token)"
#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "convene/v1/attendance.grpc.pb.h"
#include "convene/v1/calendar.grpc.pb.h"
#include "core/clock.h"
#include "core/log.h"
#include "attendance/attendance_service.h"
#include "calendar/calendar_service.h"
#include "host/service_host.h"
#include "rpc/server_runner.h"
#include "baseline_service.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "testing_util/redis_server.h"

ABSL_FLAG(int, in_flight, 64, "RPCs kept in flight (K)");
ABSL_FLAG(double, seconds, 5, "seconds each RPC (and the baseline) is driven");
ABSL_FLAG(std::vector<std::string>, rpcs,
          std::vector<std::string>({"CheckIn", "Register", "ListEvents", "GetAgenda"}),
          "RPCs to drive, in order: CheckIn, Register, ListEvents, GetAgenda");
ABSL_FLAG(int, participants, 30000,
          "participants registered before the CheckIn run; each checks in to each of "
          "the event's 4 sessions once, so the main CheckIn row has no repeats while "
          "it makes fewer than 4x this many calls (it stops there)");
ABSL_FLAG(double, k1_seconds, 2,
          "seconds of each RPC's K=1 row (one sequential caller); 0: no K=1 rows");
ABSL_FLAG(bool, reference_rows, true,
          "after each RPC's rows, a row of the least-work reference server "
          "(tests/bench/baseline_service.h: the least any check-in or registration must "
          "do, one script each; reads answered with Convene's own answers after one Redis "
          "command): the ceiling for that RPC on this machine");
ABSL_FLAG(bool, alternate, true,
          "run each RPC's main row alternating with the baseline and its reference; "
          "false: one after the other, each printed as soon as it ends, and ratios over the "
          "baseline measured at the start (tests/bench/per_call_cpu.py reads each "
          "process's CPU between printed rows)");
ABSL_FLAG(double, slice_seconds, 1,
          "each RPC's main row alternates with the baseline (and its reference row) in "
          "slices this long, until each has run --seconds");
ABSL_FLAG(int, events, 200, "events in the calendar for ListEvents and GetAgenda");
ABSL_FLAG(bool, command_breakdown, false,
          "print, under each row, every Redis command's calls and microseconds per RPC "
          "(INFO commandstats)");
ABSL_FLAG(std::string, server, "",
          "HOST:PORT of a running Convene (calendar and attendance services); "
          "empty: start them in this process over a private redis-server");
ABSL_FLAG(std::string, server_redis, "",
          "with --server: its Redis (redis://HOST:PORT or unix:///path), for the "
          "Redis figures and the baseline; empty: neither");
ABSL_FLAG(std::string, token, "",
          "with --server: a bearer token (organizer or admin) sent with every call");
ABSL_FLAG(double, call_deadline, 10, "each call's deadline, in seconds");
ABSL_FLAG(double, settle_seconds, 120,
          "before the baselines and before each RPC's rows, wait up to this long for "
          "the server's background work (the notification service following the "
          "registrations just made, stream followers) to settle, so that one row's "
          "backlog is not measured as the next row's cost; 0: do not wait");

namespace convene {
namespace {

constexpr int kSessionsPerEvent = 4;
using bench::CallbackAsyncBaseline;
using bench::CallbackInlineBaseline;
using bench::kBaselineScript;
using bench::kLeastCheckInFixture;
using bench::kLeastCheckInScript;
using bench::KeptReadAnswers;
using bench::kLeastRegisterScript;
using bench::LeastReadReference;
using bench::LeastWorkReference;
using bench::SyncBaseline;

struct Figures {
  double qps = 0, p50_ms = 0, p99_ms = 0, p999_ms = 0;
  int64_t ok = 0, failed = 0;
  std::string first_error;
};

// Starts call number `n` and calls `done` with its outcome, exactly once.
using Issue =
    std::function<void(int64_t n, std::function<void(const grpc::Status&)> done)>;

// The calls of one Drive(), shared with their callbacks so that none of
// them touches Drive()'s frame once it has returned.
struct DriveState : std::enable_shared_from_this<DriveState> {
  DriveState(Issue issue, int in_flight, absl::Time end, int64_t max_calls)
      : issue(std::move(issue)), end(end), max_calls(max_calls), active(in_flight) {}

  // Starts the next call, or retires one slot when the run is over.
  void StartOne() {
    const int64_t n = next++;
    if (n >= max_calls || absl::Now() >= end) {
      absl::MutexLock lock(&mu);
      --active;
      return;
    }
    const absl::Time start = absl::Now();
    issue(n, [self = shared_from_this(), start](const grpc::Status& status) {
      const double ms = absl::ToDoubleMilliseconds(absl::Now() - start);
      {
        absl::MutexLock lock(&self->mu);
        if (status.ok()) {
          ++self->figures.ok;
          self->latencies.push_back(ms);
        } else if (self->figures.failed++ == 0) {
          self->figures.first_error =
              absl::StrCat(status.error_code(), ": ", status.error_message());
        }
      }
      self->StartOne();
    });
  }

  const Issue issue;
  const absl::Time end;
  const int64_t max_calls;
  std::atomic<int64_t> next{0};
  absl::Mutex mu;
  int active ABSL_GUARDED_BY(mu);
  std::vector<double> latencies ABSL_GUARDED_BY(mu);
  Figures figures ABSL_GUARDED_BY(mu);
};

// What one or more stretches of driving gave, kept raw so that stretches
// (the slices of alternating rows) add up.
struct Samples {
  int64_t ok = 0, failed = 0;
  double seconds = 0;
  std::vector<double> latencies;  // ms, of the calls that succeeded
  std::string first_error;

  int64_t calls() const { return ok + failed; }
  void Add(Samples more) {
    ok += more.ok;
    failed += more.failed;
    seconds += more.seconds;
    latencies.insert(latencies.end(), more.latencies.begin(), more.latencies.end());
    if (first_error.empty()) first_error = std::move(more.first_error);
  }
};

Figures FiguresOf(Samples samples) {
  Figures f;
  f.ok = samples.ok;
  f.failed = samples.failed;
  f.first_error = std::move(samples.first_error);
  std::vector<double>& latencies = samples.latencies;
  std::sort(latencies.begin(), latencies.end());
  if (!latencies.empty()) {
    auto at = [&](double q) {
      return latencies[std::min(latencies.size() - 1,
                                static_cast<size_t>(latencies.size() * q))];
    };
    f.p50_ms = at(0.50);
    f.p99_ms = at(0.99);
    f.p999_ms = at(0.999);
  }
  f.qps = f.ok / std::max(samples.seconds, 1e-9);
  return f;
}

// Keeps `in_flight` calls going until `length` has passed or `max_calls`
// were started, whichever comes first.
Samples DriveSamples(Issue issue, int in_flight, absl::Duration length,
                     int64_t max_calls = INT64_MAX) {
  const absl::Time started = absl::Now();
  auto state = std::make_shared<DriveState>(std::move(issue), in_flight,
                                            started + length, max_calls);
  for (int i = 0; i < in_flight; ++i) state->StartOne();
  absl::MutexLock lock(&state->mu);
  state->mu.Await(absl::Condition(+[](int* a) { return *a == 0; }, &state->active));
  Samples out;
  out.seconds = absl::ToDoubleSeconds(absl::Now() - started);
  out.ok = state->figures.ok;
  out.failed = state->figures.failed;
  out.first_error = state->figures.first_error;
  out.latencies = std::move(state->latencies);
  return out;
}

Figures Drive(Issue issue, int in_flight, absl::Duration length,
              int64_t max_calls = INT64_MAX) {
  return FiguresOf(DriveSamples(std::move(issue), in_flight, length, max_calls));
}

// One asynchronous unary call; `start` is the stub's async() method.
template <typename Response, typename Request, typename Start>
void Call(Start start, Request request, const std::string& token,
          std::function<void(const grpc::Status&, const Response&)> done) {
  // The response lives on an arena, as a C++ client that reads pages of
  // fifty events would keep it: a few blocks freed at once instead of a
  // malloc and free per message. Every row, the baselines' too, uses it
  // (an arena takes no memory until the response needs some).
  struct State {
    grpc::ClientContext context;
    Request request;
    google::protobuf::Arena arena;
    Response& response = *google::protobuf::Arena::CreateMessage<Response>(&arena);
  };
  auto* call = new State;
  call->request = std::move(request);
  call->context.set_deadline(absl::ToChronoTime(
      absl::Now() + absl::Seconds(absl::GetFlag(FLAGS_call_deadline))));
  if (!token.empty()) call->context.AddMetadata("authorization", "Bearer " + token);
  start(&call->context, &call->request, &call->response,
        [call, done = std::move(done)](grpc::Status status) {
          done(status, call->response);
          delete call;
        });
}

// Redis's own figures: calls per command (INFO commandstats) and memory.
class RedisFigures {
 public:
  explicit RedisFigures(storage::RedisSyncClient* redis) : redis_(redis) {}
  bool available() const { return redis_ != nullptr; }

  // Per command: calls and microseconds inside Redis (commandstats "usec").
  struct CommandStat {
    int64_t calls = 0;
    int64_t usec = 0;
  };
  std::map<std::string, CommandStat> CommandCalls() {
    std::map<std::string, CommandStat> calls;
    if (redis_ == nullptr) return calls;
    absl::StatusOr<storage::RedisReply> info = redis_->Command({"INFO", "commandstats"});
    if (!info.ok()) return calls;
    for (absl::string_view line : absl::StrSplit(info->text(), "\r\n")) {
      // cmdstat_evalsha:calls=12,usec=...
      if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
      const size_t colon = line.find(':');
      const size_t eq = line.find("calls=");
      const size_t comma = line.find(',', eq);
      const size_t us = line.find("usec=");
      const size_t us_end = line.find(',', us);
      CommandStat stat;
      if (colon != absl::string_view::npos && eq != absl::string_view::npos &&
          us != absl::string_view::npos &&
          absl::SimpleAtoi(line.substr(eq + 6, comma - eq - 6), &stat.calls) &&
          absl::SimpleAtoi(line.substr(us + 5, us_end - us - 5), &stat.usec)) {
        calls[std::string(line.substr(0, colon))] = stat;
      }
    }
    return calls;
  }

  // A field of INFO, e.g. ("memory", "used_memory"); empty if unknown.
  std::string Info(const std::string& section, absl::string_view field) {
    if (redis_ == nullptr) return "";
    absl::StatusOr<storage::RedisReply> info = redis_->Command({"INFO", section});
    if (!info.ok()) return "";
    for (absl::string_view line : absl::StrSplit(info->text(), "\r\n")) {
      if (absl::ConsumePrefix(&line, field) && absl::ConsumePrefix(&line, ":")) {
        return std::string(line);
      }
    }
    return "";
  }

  // Redis's own CPU time so far (user + system), in seconds; -1 if unknown.
  double CpuSeconds() {
    double user = 0, sys = 0;
    if (!absl::SimpleAtod(Info("cpu", "used_cpu_user"), &user) ||
        !absl::SimpleAtod(Info("cpu", "used_cpu_sys"), &sys)) {
      return -1;
    }
    return user + sys;
  }

  // Commands Redis has processed so far (INFO stats); -1 if unknown.
  int64_t CommandsProcessed() {
    int64_t n = 0;
    return absl::SimpleAtoi(Info("stats", "total_commands_processed"), &n) ? n : -1;
  }

  int64_t UsedMemory() {
    int64_t bytes = 0;
    return absl::SimpleAtoi(Info("memory", "used_memory"), &bytes) ? bytes : -1;
  }

 private:
  storage::RedisSyncClient* redis_;
};

struct CommandDelta {
  // Commands, scripts (EVALSHA and FCALL) and Redis CPU microseconds per call.
  double total = 0, scripts = 0, cpu_us = -1;
};

// What Redis did for one row: commands and CPU, before and after.
struct RedisSnapshot {
  std::map<std::string, RedisFigures::CommandStat> calls;
  double cpu_seconds = -1;
};

// Waits until Redis is idle but for the services' polls: fewer than
// kIdleCommands commands (the INFO calls included) in each of two quarter
// seconds running, or `limit`. Returns the seconds waited, or -1 when it
// gave up. What the services do in the background after a row (the
// notification service copying and planning each registration) is theirs to
// do, but it belongs to the row that caused it, not to the next one.
double Settle(RedisFigures& redis, absl::Duration limit) {
  constexpr int64_t kIdleCommands = 100;
  if (!redis.available() || limit <= absl::ZeroDuration()) return 0;
  const absl::Time started = absl::Now();
  int64_t last = redis.CommandsProcessed();
  int quiet = 0;
  while (quiet < 2) {
    if (absl::Now() - started > limit) return -1;
    absl::SleepFor(absl::Milliseconds(250));
    const int64_t now = redis.CommandsProcessed();
    if (last < 0 || now < 0) return 0;
    quiet = now - last < kIdleCommands ? quiet + 1 : 0;
    last = now;
  }
  return absl::ToDoubleSeconds(absl::Now() - started);
}

RedisSnapshot Snapshot(RedisFigures& redis) {
  // CPU first and commands last before a row, the other way round after it:
  // the INFO calls themselves stay outside the row's figures as far as they
  // can.
  RedisSnapshot s;
  s.cpu_seconds = redis.available() ? redis.CpuSeconds() : -1;
  s.calls = redis.CommandCalls();
  return s;
}

RedisSnapshot SnapshotAfter(RedisFigures& redis) {
  RedisSnapshot s;
  s.calls = redis.CommandCalls();
  s.cpu_seconds = redis.available() ? redis.CpuSeconds() : -1;
  return s;
}

// Redis's figures over several slices: the sum of each slice's changes,
// kept as a pair of snapshots (from zero), which Delta and
// PrintCommandBreakdown read as one row's.
struct RedisTally {
  RedisSnapshot zero{{}, 0};
  RedisSnapshot sum{{}, 0};

  void Add(const RedisSnapshot& before, const RedisSnapshot& after) {
    for (const auto& [cmd, stat] : after.calls) {
      const auto it = before.calls.find(cmd);
      RedisFigures::CommandStat& total = sum.calls[cmd];
      total.calls += stat.calls - (it == before.calls.end() ? 0 : it->second.calls);
      total.usec += stat.usec - (it == before.calls.end() ? 0 : it->second.usec);
    }
    if (before.cpu_seconds < 0 || after.cpu_seconds < 0 || sum.cpu_seconds < 0) {
      sum.cpu_seconds = -1;
    } else {
      sum.cpu_seconds += after.cpu_seconds - before.cpu_seconds;
    }
  }
};

CommandDelta Delta(const RedisSnapshot& before, const RedisSnapshot& after, int64_t calls) {
  int64_t total = 0, scripts = 0;
  for (const auto& [cmd, stat] : after.calls) {
    if (cmd == "info") continue;  // ours
    const auto it = before.calls.find(cmd);
    const int64_t delta = stat.calls - (it == before.calls.end() ? 0 : it->second.calls);
    total += delta;
    if (cmd == "evalsha" || cmd == "fcall" || cmd == "fcall_ro") scripts += delta;
  }
  const double rpcs = static_cast<double>(std::max<int64_t>(calls, 1));
  CommandDelta d{total / rpcs, scripts / rpcs, -1};
  if (before.cpu_seconds >= 0 && after.cpu_seconds >= 0) {
    d.cpu_us = (after.cpu_seconds - before.cpu_seconds) * 1e6 / rpcs;
  }
  return d;
}

// Per command, the calls and Redis microseconds of one row per RPC, most
// time first (--command_breakdown). A script's usec includes the commands it
// ran, which are listed too ("  in scripts" is the sum of the others).
void PrintCommandBreakdown(const RedisSnapshot& before, const RedisSnapshot& after,
                           int64_t calls) {
  struct Line {
    std::string cmd;
    double calls, usec;
  };
  std::vector<Line> lines;
  const double rpcs = static_cast<double>(std::max<int64_t>(calls, 1));
  for (const auto& [cmd, stat] : after.calls) {
    if (cmd == "info") continue;
    const auto it = before.calls.find(cmd);
    const int64_t n = stat.calls - (it == before.calls.end() ? 0 : it->second.calls);
    const int64_t us = stat.usec - (it == before.calls.end() ? 0 : it->second.usec);
    if (n > 0) lines.push_back({cmd, n / rpcs, us / rpcs});
  }
  std::sort(lines.begin(), lines.end(),
            [](const Line& a, const Line& b) { return a.usec > b.usec; });
  for (const Line& l : lines) {
    std::printf("    %-22s %7.2f calls/RPC %8.2f us/RPC\n", l.cmd.c_str(), l.calls, l.usec);
  }
}

void PrintHeader() {
  std::printf("%-28s %9s %8s %8s %8s %7s %9s %11s %10s %9s %9s\n", "rpc", "QPS", "p50 ms",
              "p99 ms", "p999 ms", "failed", "cmds/RPC", "scripts/RPC", "redis us", "QPS/base",
              "p99/base");
}

void PrintRow(const std::string& name, const Figures& f, const CommandDelta* cmds,
              const Figures* base) {
  std::string cmd_cells =
      cmds == nullptr
          ? absl::StrFormat("%9s %11s %10s", "-", "-", "-")
          : absl::StrFormat("%9.2f %11.2f %10s", cmds->total, cmds->scripts,
                            cmds->cpu_us < 0 ? std::string("-")
                                             : absl::StrFormat("%.1f", cmds->cpu_us));
  std::string ratio_cells = "        -         -";
  if (base != nullptr && base->qps > 0 && base->p99_ms > 0) {
    ratio_cells = absl::StrFormat("%8.2fx %8.2fx", f.qps / base->qps, f.p99_ms / base->p99_ms);
  }
  std::printf("%-28s %9.0f %8.2f %8.2f %8.2f %7lld %s %s\n", name.c_str(), f.qps,
              f.p50_ms, f.p99_ms, f.p999_ms, static_cast<long long>(f.failed),
              cmd_cells.c_str(), ratio_cells.c_str());
  if (f.failed > 0) std::printf("  first error: %s\n", f.first_error.c_str());
  std::fflush(stdout);
}

std::string LocalDateTime(absl::CivilMinute t) {
  return absl::FormatCivilTime(t).substr(0, 16);  // 2022-03-15T09:00
}

// The day of the CheckIn run's event (event 0): today at its venue, so that
// check-ins are sent as a desk sends them, without an occurred time.
absl::CivilDay CheckInDay() {
  absl::TimeZone brussels;
  if (!absl::LoadTimeZone("Europe/Brussels", &brussels)) brussels = absl::UTCTimeZone();
  return absl::ToCivilDay(absl::Now(), brussels);
}

// A two-day hybrid event with four sessions and no capacity limit, in one of
// the network's zones. Event 0 runs today and tomorrow and takes check-ins
// for both days all day (a 2-day check-in margin). Event 1, which the
// Register rows register for, runs in 30 days: people register for
// workshops to come, and the services follow a live event's changes as they
// happen (an ended one's only when they next look for stragglers, once a
// minute, which would land its followers' work in some later row).
v1::Event BenchEvent(int i) {
  static const char* kZones[] = {"Europe/Brussels", "Europe/Rome", "Europe/Athens",
                                 "Europe/Amsterdam", "Europe/Sofia"};
  static const char* kCities[] = {"Brussels", "Turin", "Thessaloniki", "Utrecht", "Sofia"};
  const absl::CivilDay day =
      i == 0   ? CheckInDay()
      : i == 1 ? CheckInDay() + 30
               : absl::CivilDay(2022, 1, 3) + (i * 37) % 330;
  const absl::CivilMinute d0(day.year(), day.month(), day.day());
  const absl::CivilMinute d1 = d0 + 24 * 60;
  v1::Event e;
  e.set_title(absl::StrCat("CONNECTION bench workshop ", i));
  e.set_kind(v1::EVENT_KIND_WORKSHOP);
  e.set_community(absl::StrCat("CoP", 1 + i % 3));
  e.set_city(kCities[i % 5]);
  e.set_format(v1::EVENT_FORMAT_HYBRID);
  e.set_time_zone(kZones[i % 5]);
  e.set_start_local(LocalDateTime(d0 + 9 * 60));
  e.set_end_local(LocalDateTime(d1 + 17 * 60 + 30));
  e.mutable_venue()->set_name("City Hall");
  e.mutable_venue()->set_in_person_capacity(0);
  e.mutable_online()->set_platform("Zoom");
  e.mutable_online()->set_join_url("https://meet.example.org/bench");
  if (i == 0) e.mutable_check_in_margin()->set_seconds(2 * 24 * 3600);
  for (const absl::CivilMinute d : {d0, d1}) {
    for (const auto& [from, to] : {std::pair{9 * 60, 12 * 60 + 30},
                                   std::pair{14 * 60, 17 * 60 + 30}}) {
      v1::Session* s = e.add_sessions();
      s->set_title(absl::StrCat("Session at ", LocalDateTime(d + from)));
      s->set_start_local(LocalDateTime(d + from));
      s->set_end_local(LocalDateTime(d + to));
    }
  }
  return e;
}

v1::Participant BenchParticipant(const std::string& id) {
  v1::Participant p;
  p.set_participant_id(id);
  p.set_display_name(absl::StrCat("Partner ", id));
  p.set_email(absl::StrCat(id, "@example.org"));
  p.set_organisation("City of Turin");
  p.set_city("Turin");
  p.set_country_code("IT");
  p.set_time_zone("Europe/Rome");
  p.set_language("it");
  return p;
}

// What the in-process mode runs: Redis, the services and their server.
struct InProcess {
  std::unique_ptr<testing_util::RedisServer> redis_server;
  storage::RedisClientOptions options;
  std::unique_ptr<storage::RedisClient> redis;
  core::SystemClock clock;
  std::unique_ptr<host::ServiceContext> context;  // the services keep it
  std::vector<host::HostedService> services;
  std::unique_ptr<rpc::ServerRunner> server;

  ~InProcess() {
    if (server != nullptr) server->Stop();
    server.reset();
    services.clear();
    if (redis != nullptr) redis->Shutdown();
  }
};

absl::Status StartInProcess(InProcess& p) {
  host::PrepareProcessForServing();
  absl::StatusOr<std::unique_ptr<testing_util::RedisServer>> server =
      testing_util::RedisServer::Start();
  if (!server.ok()) return server.status();
  p.redis_server = *std::move(server);
  p.options.address = *storage::RedisAddress::Parse(p.redis_server->address());
  absl::StatusOr<std::unique_ptr<storage::RedisClient>> redis =
      storage::RedisClient::Start(p.options);
  if (!redis.ok()) return redis.status();
  p.redis = *std::move(redis);
  p.context = std::make_unique<host::ServiceContext>(
      host::ServiceContext{*p.redis, p.options, p.clock});
  rpc::ServerOptions server_options;
  server_options.name = "convene-bench";
  for (host::ServiceFactory factory :
       {calendar::CalendarServiceFactory(), attendance::AttendanceServiceFactory()}) {
    absl::StatusOr<host::HostedService> hosted = factory.make(*p.context);
    if (!hosted.ok()) return hosted.status();
    p.services.push_back(*std::move(hosted));
    server_options.services.push_back(p.services.back().service.get());
  }
  server_options.handle_shutdown_signals = false;
  server_options.announce = nullptr;
  rpc::ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.log_rpcs = false;
  absl::StatusOr<std::unique_ptr<rpc::ServerRunner>> runner =
      rpc::ServerRunner::Start(config, std::move(server_options));
  if (!runner.ok()) return runner.status();
  p.server = *std::move(runner);
  return absl::OkStatus();
}

int Run() {
  core::SetMinLogLevel(core::LogLevel::kWarn);
  const int in_flight = std::max(1, absl::GetFlag(FLAGS_in_flight));
  const absl::Duration length = absl::Seconds(absl::GetFlag(FLAGS_seconds));
  const int participants = std::max(1, absl::GetFlag(FLAGS_participants));
  const int num_events = std::max(2, absl::GetFlag(FLAGS_events));
  const std::string token = absl::GetFlag(FLAGS_token);
  for (const std::string& rpc : absl::GetFlag(FLAGS_rpcs)) {
    if (rpc != "CheckIn" && rpc != "Register" && rpc != "ListEvents" && rpc != "GetAgenda") {
      std::fprintf(stderr, "convene-bench: --rpcs: unknown RPC %s\n", rpc.c_str());
      return 2;
    }
  }

  // Where Convene and its Redis are.
  InProcess in_process;
  std::string target = absl::GetFlag(FLAGS_server);
  std::string redis_text = absl::GetFlag(FLAGS_server_redis);
  std::unique_ptr<storage::RedisSyncClient> owned_sync;
  storage::RedisSyncClient* sync = nullptr;
  std::optional<storage::RedisAddress> redis_address;
  std::string where;
  if (target.empty()) {
    if (absl::Status s = StartInProcess(in_process); !s.ok()) {
      std::fprintf(stderr, "convene-bench: %s\n", s.ToString().c_str());
      return 1;
    }
    target = in_process.server->address();
    redis_address = in_process.options.address;
    owned_sync = std::make_unique<storage::RedisSyncClient>(*in_process.redis);
    sync = owned_sync.get();
    where = "client, convene (calendar + attendance, in process, no auth) and "
            "baseline in one process on loopback; private redis-server";
  } else {
    where = absl::StrCat("convene at ", target);
    if (!redis_text.empty()) {
      absl::StatusOr<storage::RedisAddress> address = storage::RedisAddress::Parse(redis_text);
      if (!address.ok()) {
        std::fprintf(stderr, "convene-bench: --server_redis: %s\n",
                     address.status().ToString().c_str());
        return 2;
      }
      redis_address = *address;
      storage::RedisClientOptions options;
      options.address = *address;
      auto client = storage::RedisSyncClient::Start(options);
      if (!client.ok()) return 1;
      owned_sync = *std::move(client);
      sync = owned_sync.get();
      absl::StrAppend(&where, ", its redis-server at ", redis_text);
    } else {
      absl::StrAppend(&where, " (no --server_redis: no Redis figures, no baseline)");
    }
  }
  RedisFigures redis(sync);
  if (redis.available()) {
    absl::StrAppend(&where, " ", redis.Info("server", "redis_version"),
                    absl::GetFlag(FLAGS_server).empty() ? " on a unix socket" : "");
  }

  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  auto calendar = v1::CalendarService::NewStub(channel);
  auto attendance = v1::AttendanceService::NewStub(channel);
  auto create_event = [&](auto* c, auto* q, auto* r, auto cb) {
    calendar->async()->CreateEvent(c, q, r, std::move(cb));
  };
  auto register_one = [&](auto* c, auto* q, auto* r, auto cb) {
    attendance->async()->Register(c, q, r, std::move(cb));
  };

  // The fixtures, through the API: a calendar of events; the first one has
  // `participants` registered for the CheckIn run, the second takes the
  // Register run's registrations. Fixed request ids: a rerun against the
  // same server reuses them.
  const absl::Time setup_started = absl::Now();
  std::vector<v1::Event> events(num_events);
  Figures made = Drive(
      [&](int64_t n, std::function<void(const grpc::Status&)> done) {
        v1::CreateEventRequest request;
        // Events 0 and 1 are dated from today: their request ids name the
        // day, so a rerun on another day makes new events rather than
        // reusing the ids.
        request.set_request_id(absl::StrCat("convene-bench-event-", n,
                                            n <= 1 ? absl::StrCat("-", absl::FormatCivilTime(CheckInDay()))
                                                   : ""));
        *request.mutable_event() = BenchEvent(static_cast<int>(n));
        Call<v1::Event>(create_event, std::move(request), token,
                        [&events, n, done](const grpc::Status& s, const v1::Event& e) {
                          if (s.ok()) events[n] = e;
                          done(s);
                        });
      },
      std::min(in_flight, 16), absl::Hours(1), num_events);
  if (made.failed > 0) {
    std::fprintf(stderr, "convene-bench: CreateEvent failed: %s\n", made.first_error.c_str());
    return 1;
  }
  const v1::Event& check_in_event = events[0];
  const v1::Event& register_event = events[1];
  std::vector<std::string> sessions;
  for (const v1::Session& s : check_in_event.sessions()) sessions.push_back(s.id());
  Figures registered = Drive(
      [&](int64_t n, std::function<void(const grpc::Status&)> done) {
        v1::RegisterRequest request;
        request.set_event_id(check_in_event.id());
        request.set_request_id(absl::StrCat("convene-bench-setup-", n));
        request.set_mode(v1::ATTENDANCE_MODE_IN_PERSON);
        *request.mutable_participant() = BenchParticipant(absl::StrCat("p", n));
        Call<v1::Registration>(register_one, std::move(request), token,
                               [done](const grpc::Status& s, const v1::Registration&) {
                                 done(s);
                               });
      },
      in_flight, absl::Hours(1), participants);
  if (registered.failed > 0) {
    std::fprintf(stderr, "convene-bench: Register failed: %s\n",
                 registered.first_error.c_str());
    return 1;
  }

  const double set_up_seconds = absl::ToDoubleSeconds(absl::Now() - setup_started);
  const absl::Duration settle_limit = absl::Seconds(absl::GetFlag(FLAGS_settle_seconds));
  std::vector<std::string> notes;
  auto settle = [&](const std::string& before_what) {
    const double waited = Settle(redis, settle_limit);
    if (waited < 0) {
      notes.push_back(absl::StrFormat("before %s: the server was still busy after %s; measured anyway",
                                      before_what, absl::FormatDuration(settle_limit)));
    } else if (waited >= 1) {
      notes.push_back(absl::StrFormat(
          "before %s: waited %.1f s for the server's background work to settle", before_what,
          waited));
    }
  };
  settle("the baselines");
  std::printf(
      "convene-bench: %d RPCs in flight, %s per RPC; %d events, %d registered "
      "participants (set up in %.1f s); %s\n",
      in_flight, absl::FormatDuration(length).c_str(), num_events, participants,
      set_up_seconds, where.c_str());
  PrintHeader();

  // CheckIn call n (of a run starting at `first`): participant n % P and
  // session (n / P) % 4, so the first 4P calls of the event are each a new
  // check-in; n wraps at `modulo`. Request ids are per run.
  const int64_t new_check_ins = static_cast<int64_t>(participants) * sessions.size();
  std::atomic<int64_t> duplicates{0};
  std::atomic<int> run_number{0};
  auto check_in = [&](v1::AttendanceService::Stub* stub, int64_t first,
                      int64_t modulo) -> Issue {
    const int run = run_number++;
    return [&, stub, run, first, modulo](int64_t i,
                                         std::function<void(const grpc::Status&)> done) {
      const int64_t n = (first + i) % std::max<int64_t>(modulo, 1);
      v1::CheckInRequest request;
      request.set_event_id(check_in_event.id());
      request.set_participant_id(absl::StrCat("p", n % participants));
      request.set_session_id(sessions[(n / participants) % sessions.size()]);
      request.set_mode(v1::ATTENDANCE_MODE_IN_PERSON);
      request.set_source(v1::CHECK_IN_SOURCE_BADGE);
      request.set_request_id(absl::StrCat("convene-bench-ci-", run, "-", n));
      Call<v1::CheckInRecord>(
          [stub](auto* c, auto* q, auto* r, auto cb) {
            stub->async()->CheckIn(c, q, r, std::move(cb));
          },
          std::move(request), token,
          [&duplicates, done](const grpc::Status& s, const v1::CheckInRecord& r) {
            if (s.ok() && r.duplicate()) ++duplicates;
            done(s);
          });
    };
  };
  const absl::Duration k1_length = absl::Seconds(absl::GetFlag(FLAGS_k1_seconds));
  const bool k1_rows = k1_length > absl::ZeroDuration();

  // The baselines first, with the same K and the same CheckIn requests.
  struct Baseline {
    std::string name;
    std::unique_ptr<grpc::Service> service;
    std::unique_ptr<grpc::Service> calendar_service;  // the read reference's
    std::unique_ptr<rpc::ServerRunner> server;
    std::unique_ptr<v1::AttendanceService::Stub> stub;
    std::unique_ptr<v1::CalendarService::Stub> calendar_stub;
    Figures figures;
    CommandDelta cmds;
  };
  // Each baseline serves only while it is measured: an idle server left
  // running (the sync one keeps a pool of threads polling) would take
  // part in every later row.
  auto serve = [](Baseline& b) -> bool {
    rpc::ServerOptions options;
    options.name = "baseline";
    if (b.service) options.services.push_back(b.service.get());
    if (b.calendar_service) options.services.push_back(b.calendar_service.get());
    options.handle_shutdown_signals = false;
    options.announce = nullptr;
    rpc::ServerConfig config;
    config.listen = "127.0.0.1:0";
    config.log_rpcs = false;
    auto started = rpc::ServerRunner::Start(config, std::move(options));
    if (!started.ok()) return false;
    b.server = *std::move(started);
    auto channel = grpc::CreateChannel(b.server->address(), grpc::InsecureChannelCredentials());
    b.stub = v1::AttendanceService::NewStub(channel);
    b.calendar_stub = v1::CalendarService::NewStub(channel);
    return true;
  };
  auto stop = [](Baseline& b) {
    b.stub.reset();
    b.calendar_stub.reset();
    b.server->Stop();
    b.server.reset();
  };
  std::vector<Baseline> baselines;
  std::unique_ptr<storage::RedisClient> baseline_redis;
  const Figures* base = nullptr;
  Baseline* fastest_baseline = nullptr;
  std::optional<Figures> base_k1;
  if (redis.available()) {
    absl::StatusOr<storage::RedisReply> sha = sync->Command({"SCRIPT", "LOAD", kBaselineScript});
    if (!sha.ok()) return 1;
    storage::RedisClientOptions redis_options;
    redis_options.address = *redis_address;
    absl::StatusOr<std::unique_ptr<storage::RedisClient>> client =
        storage::RedisClient::Start(redis_options);
    if (!client.ok()) return 1;
    baseline_redis = *std::move(client);
    auto add = [&baselines](std::string name, std::unique_ptr<grpc::Service> service) {
      Baseline b;
      b.name = std::move(name);
      b.service = std::move(service);
      baselines.push_back(std::move(b));
    };
    add("baseline: callback, inline",
        std::make_unique<CallbackInlineBaseline>(*redis_address, sha->text()));
    add("baseline: callback, async",
        std::make_unique<CallbackAsyncBaseline>(*baseline_redis, sha->text()));
    add("baseline: sync (reference)", std::make_unique<SyncBaseline>(*redis_address, sha->text()));
    for (Baseline& b : baselines) {
      if (!serve(b)) return 1;
      RedisSnapshot before = Snapshot(redis);
      b.figures = Drive(check_in(b.stub.get(), 0, new_check_ins), in_flight, length);
      b.cmds = Delta(before, SnapshotAfter(redis), b.figures.ok + b.figures.failed);
      stop(b);
    }
    // "baseline" is the faster of the two callback designs.
    fastest_baseline =
        baselines[0].figures.qps >= baselines[1].figures.qps ? &baselines[0] : &baselines[1];
    base = &fastest_baseline->figures;
    for (Baseline& b : baselines) {
      PrintRow(b.name + (&b.figures == base ? " *" : ""), b.figures, &b.cmds, base);
    }
    if (k1_rows) {
      Baseline& fastest = *fastest_baseline;
      if (!serve(fastest)) return 1;
      RedisSnapshot before = Snapshot(redis);
      base_k1 = Drive(check_in(fastest.stub.get(), 0, new_check_ins), 1, k1_length);
      CommandDelta cmds = Delta(before, SnapshotAfter(redis), base_k1->ok + base_k1->failed);
      stop(fastest);
      PrintRow("baseline * K=1", *base_k1, &cmds, &*base_k1);
    }
  }
  // The least-work reference: its scripts, and registrations for the CheckIn
  // requests' participants.
  std::optional<Baseline> reference;
  if (redis.available() && absl::GetFlag(FLAGS_reference_rows)) {
    absl::StatusOr<storage::RedisReply> check_in_sha =
        sync->Command({"SCRIPT", "LOAD", kLeastCheckInScript});
    absl::StatusOr<storage::RedisReply> register_sha =
        sync->Command({"SCRIPT", "LOAD", kLeastRegisterScript});
    absl::StatusOr<storage::RedisReply> fixture =
        sync->Command({"EVAL", kLeastCheckInFixture, "0", absl::StrCat(participants)});
    if (!check_in_sha.ok() || !register_sha.ok() || !fixture.ok()) {
      std::fprintf(stderr, "convene-bench: the reference's scripts: %s\n",
                   (!check_in_sha.ok()   ? check_in_sha.status()
                    : !register_sha.ok() ? register_sha.status()
                                         : fixture.status())
                       .ToString()
                       .c_str());
      return 1;
    }
    reference.emplace();
    reference->name = "reference: least work";
    reference->service = std::make_unique<LeastWorkReference>(
        *baseline_redis, check_in_sha->text(), register_sha->text());
  }

  const absl::Time from = absl::FromCivil(absl::CivilDay(2022, 1, 1), absl::UTCTimeZone());
  const absl::Time to = absl::FromCivil(absl::CivilDay(2023, 1, 1), absl::UTCTimeZone());
  static const char* kViewers[] = {"America/New_York", "Europe/Rome", "Asia/Tokyo",
                                   "Europe/Athens", ""};
  // A fresh run of Register calls, each a new participant, half of them
  // online.
  auto register_with = [&](v1::AttendanceService::Stub* stub) -> Issue {
    const int run = run_number++;
    return [&, stub, run](int64_t n, std::function<void(const grpc::Status&)> done) {
      v1::RegisterRequest request;
      request.set_event_id(register_event.id());
      request.set_request_id(absl::StrCat("convene-bench-reg-", run, "-", n));
      request.set_mode(n % 2 == 0 ? v1::ATTENDANCE_MODE_IN_PERSON : v1::ATTENDANCE_MODE_ONLINE);
      *request.mutable_participant() = BenchParticipant(absl::StrCat("r", run, "-", n));
      Call<v1::Registration>(
          [stub](auto* c, auto* q, auto* r, auto cb) {
            stub->async()->Register(c, q, r, std::move(cb));
          },
          std::move(request), token,
          [done](const grpc::Status& s, const v1::Registration&) { done(s); });
    };
  };
  auto list_events_request = [&] {
    v1::ListEventsRequest request;
    request.mutable_from()->set_seconds(absl::ToUnixSeconds(from));
    request.mutable_to()->set_seconds(absl::ToUnixSeconds(to));
    request.set_page_size(50);
    return request;
  };
  auto agenda_request = [&](int64_t n) {
    v1::GetAgendaRequest request;
    request.set_event_id(events[n % events.size()].id());
    request.set_viewer_time_zone(kViewers[n % 5]);
    return request;
  };
  // A fresh run of `rpc`'s calls (CheckIn: see check_in), to Convene or, for
  // ListEvents and GetAgenda, to `calendar_stub`.
  auto make_issue = [&](const std::string& rpc,
                        v1::CalendarService::Stub* calendar_stub = nullptr) -> Issue {
    if (rpc == "Register") return register_with(attendance.get());
    v1::CalendarService::Stub* stub = calendar_stub != nullptr ? calendar_stub : calendar.get();
    if (rpc == "ListEvents") {
      return [&, stub](int64_t, std::function<void(const grpc::Status&)> done) {
        Call<v1::ListEventsResponse>(
            [stub](auto* c, auto* q, auto* r, auto cb) {
              stub->async()->ListEvents(c, q, r, std::move(cb));
            },
            list_events_request(), token,
            [done](const grpc::Status& s, const v1::ListEventsResponse&) { done(s); });
      };
    }
    // GetAgenda
    return [&, stub](int64_t n, std::function<void(const grpc::Status&)> done) {
      Call<v1::Agenda>(
          [stub](auto* c, auto* q, auto* r, auto cb) {
            stub->async()->GetAgenda(c, q, r, std::move(cb));
          },
          agenda_request(n), token, [done](const grpc::Status& s, const v1::Agenda&) { done(s); });
    };
  };
  // The read reference answers with Convene's own answers to the same
  // requests, fetched once here (GetAgenda's requests repeat every 1,000
  // calls).
  std::optional<Baseline> read_reference;
  auto make_read_reference = [&]() -> absl::Status {
    auto kept = std::make_shared<KeptReadAnswers>();
    auto fetch = [&](auto call, const auto& request, auto& response) -> absl::Status {
      grpc::ClientContext context;
      if (!token.empty()) context.AddMetadata("authorization", "Bearer " + token);
      grpc::Status status = call(&context, request, &response);
      return status.ok() ? absl::OkStatus()
                         : absl::UnavailableError(absl::StrCat("the read reference's answers: ",
                                                               status.error_message()));
    };
    v1::ListEventsResponse page;
    if (absl::Status s = fetch([&](auto* c, const auto& q, auto* r) {
          return calendar->ListEvents(c, q, r);
        }, list_events_request(), page); !s.ok()) {
      return s;
    }
    kept->page = page.SerializeAsString();
    for (int64_t n = 0; n < 1000; ++n) {
      const v1::GetAgendaRequest request = agenda_request(n);
      std::string key = absl::StrCat(request.event_id(), "\n", request.viewer_time_zone());
      if (kept->agendas.contains(key)) continue;
      v1::Agenda agenda;
      if (absl::Status s = fetch([&](auto* c, const auto& q, auto* r) {
            return calendar->GetAgenda(c, q, r);
          }, request, agenda); !s.ok()) {
        return s;
      }
      kept->agendas.emplace(std::move(key), agenda.SerializeAsString());
    }
    read_reference.emplace();
    read_reference->name = "reference: least reads";
    read_reference->calendar_service =
        std::make_unique<LeastReadReference>(*baseline_redis, std::move(kept));
    return absl::OkStatus();
  };
  // Drives one row and prints it; returns its figures.
  auto row = [&](const std::string& name, Issue issue, int k, absl::Duration run_length,
                 int64_t max_calls, const Figures* ratio_base) {
    RedisSnapshot before = Snapshot(redis);
    Figures f = Drive(std::move(issue), k, run_length, max_calls);
    RedisSnapshot after = SnapshotAfter(redis);
    CommandDelta cmds = Delta(before, after, f.ok + f.failed);
    PrintRow(name, f, redis.available() ? &cmds : nullptr, ratio_base);
    if (absl::GetFlag(FLAGS_command_breakdown)) PrintCommandBreakdown(before, after, f.ok + f.failed);
    return f;
  };
  const Figures* base_one = base_k1 ? &*base_k1 : nullptr;

  // One side of an alternating row: its calls (numbered from `first`) and,
  // for a bare server of the bench's own, that server, which runs only
  // during its slices.
  struct Side {
    std::string name;
    std::function<Issue(int64_t first)> issue;
    Baseline* server = nullptr;
    int64_t max_calls = INT64_MAX;
    bool measure_memory = false;
    // Convene's sides: after each slice, wait (as before each row) until
    // the server's background work has settled, so that none of it falls
    // into the next side's slice.
    bool settles_after = false;
    Samples samples;
    RedisTally redis_tally;
    int64_t memory = 0;  // Redis used_memory added during its slices
  };
  // Drives `sides` a slice each in turn, the order rotating every round,
  // until each has run `run_length` (or its max_calls): the machine's drift
  // over the row falls on every side alike, so their ratios hold however
  // the shared machine's speed moves between rows.
  auto alternate = [&](const std::vector<Side*>& sides, int k, absl::Duration run_length,
                       absl::Duration slice) -> bool {
    for (size_t round = 0;; ++round) {
      bool ran = false;
      for (size_t i = 0; i < sides.size(); ++i) {
        Side& side = *sides[(round + i) % sides.size()];
        const absl::Duration left = run_length - absl::Seconds(side.samples.seconds);
        if (left <= absl::ZeroDuration() || side.samples.calls() >= side.max_calls) continue;
        ran = true;
        if (side.server != nullptr && !serve(*side.server)) return false;
        const int64_t memory_before =
            side.measure_memory && redis.available() ? redis.UsedMemory() : -1;
        RedisSnapshot before = Snapshot(redis);
        Samples got = DriveSamples(side.issue(side.samples.calls()), k, std::min(slice, left),
                                   side.max_calls - side.samples.calls());
        side.redis_tally.Add(before, SnapshotAfter(redis));
        if (memory_before >= 0) {
          const int64_t memory_after = redis.UsedMemory();
          if (memory_after >= 0) side.memory += memory_after - memory_before;
        }
        if (side.server != nullptr) stop(*side.server);
        side.samples.Add(std::move(got));
        if (side.settles_after && sides.size() > 1 && Settle(redis, settle_limit) < 0) {
          notes.push_back(absl::StrFormat("%s: the server was still busy %s after a slice",
                                          side.name, absl::FormatDuration(settle_limit)));
        }
      }
      if (!ran) return true;
    }
  };
  auto print_side = [&](const Side& side, const Figures& f, const Figures* ratio_base) {
    const int64_t calls = side.samples.calls();
    CommandDelta cmds = Delta(side.redis_tally.zero, side.redis_tally.sum, calls);
    PrintRow(side.name, f, redis.available() ? &cmds : nullptr, ratio_base);
    if (absl::GetFlag(FLAGS_command_breakdown)) {
      PrintCommandBreakdown(side.redis_tally.zero, side.redis_tally.sum, calls);
    }
  };
  // `convene`'s main row at K = --in_flight, alternating with the fastest
  // baseline and, with --reference_rows, the call's least-work reference;
  // prints the three and returns Convene's figures and the baseline's.
  auto note_memory = [&](const Side& side) {
    if (!side.measure_memory || side.samples.ok == 0) return;
    notes.push_back(absl::StrFormat(
        "%s: Redis used_memory %+.1f MiB for %d registrations: %.0f bytes per registration",
        side.name, side.memory / 1048576.0, side.samples.ok,
        static_cast<double>(side.memory) / side.samples.ok));
  };
  auto note_reference = [&](const std::string& name, const Figures& convene_f,
                            const Figures& least_f) {
    notes.push_back(absl::StrFormat(
        "%s: %.2fx the QPS of its least-work reference, p99 %.2fx", name,
        least_f.qps > 0 ? convene_f.qps / least_f.qps : 0.0,
        least_f.p99_ms > 0 ? convene_f.p99_ms / least_f.p99_ms : 0.0));
  };
  auto main_row = [&](Side convene, Side least) -> std::optional<std::pair<Figures, Figures>> {
    if (!absl::GetFlag(FLAGS_alternate) || fastest_baseline == nullptr) {
      // One after the other, each in one stretch, each printed as it ends.
      if (!alternate({&convene}, in_flight, length, length)) return std::nullopt;
      Figures convene_f = FiguresOf(convene.samples);
      print_side(convene, convene_f, base);
      note_memory(convene);
      if (least.server != nullptr) {
        if (!alternate({&least}, in_flight, length, length)) return std::nullopt;
        Figures least_f = FiguresOf(least.samples);
        print_side(least, least_f, base);
        note_reference(convene.name, convene_f, least_f);
      }
      return std::make_pair(convene_f, base != nullptr ? *base : Figures{});
    }
    Side baseline;
    std::vector<Side*> sides = {&convene};
    if (fastest_baseline != nullptr) {
      baseline.name = "baseline * alternating";
      baseline.server = fastest_baseline;
      baseline.issue = [&, b = fastest_baseline](int64_t first) {
        return check_in(b->stub.get(), first, new_check_ins);
      };
      sides.insert(sides.begin(), &baseline);
    }
    if (least.server != nullptr) sides.push_back(&least);
    const absl::Duration slice =
        std::min(length, absl::Seconds(absl::GetFlag(FLAGS_slice_seconds)));
    if (!alternate(sides, in_flight, length, slice)) return std::nullopt;
    Figures base_f = FiguresOf(baseline.samples);
    const Figures* ratio_base = fastest_baseline != nullptr ? &base_f : base;
    if (fastest_baseline != nullptr) print_side(baseline, base_f, &base_f);
    Figures convene_f = FiguresOf(convene.samples);
    print_side(convene, convene_f, ratio_base);
    note_memory(convene);
    if (least.server != nullptr) {
      Figures least_f = FiguresOf(least.samples);
      print_side(least, least_f, ratio_base);
      note_reference(convene.name, convene_f, least_f);
    }
    return std::make_pair(convene_f, base_f);
  };

  // `convene`'s K=1 row, alternating with the fastest baseline at K=1 (the
  // same slices as main_row), its ratios over that; with --alternate=false,
  // over "baseline * K=1" from the start.
  auto k1_row = [&](Side convene) -> bool {
    if (!absl::GetFlag(FLAGS_alternate) || fastest_baseline == nullptr) {
      if (!alternate({&convene}, 1, k1_length, k1_length)) return false;
      print_side(convene, FiguresOf(convene.samples), base_one);
      return true;
    }
    Side baseline;
    baseline.name = "baseline * K=1 alternating";
    baseline.server = fastest_baseline;
    baseline.issue = [&, b = fastest_baseline](int64_t first) {
      return check_in(b->stub.get(), first, new_check_ins);
    };
    const absl::Duration slice =
        std::min(k1_length, absl::Seconds(absl::GetFlag(FLAGS_slice_seconds)));
    if (!alternate({&baseline, &convene}, 1, k1_length, slice)) return false;
    const Figures base_f = FiguresOf(baseline.samples);
    print_side(baseline, base_f, &base_f);
    print_side(convene, FiguresOf(convene.samples), &base_f);
    return true;
  };

  for (const std::string& rpc : absl::GetFlag(FLAGS_rpcs)) {
    settle(rpc);
    Side convene, least;
    if (rpc == "CheckIn") {
      duplicates = 0;
      convene.name = "CheckIn (new)";
      convene.settles_after = true;
      convene.issue = [&](int64_t first) {
        return check_in(attendance.get(), first, new_check_ins);
      };
      convene.max_calls = new_check_ins;
      if (reference) {
        least.name = "reference: least CheckIn";
        least.server = &*reference;
        least.max_calls = new_check_ins;
        least.issue = [&](int64_t first) {
          return check_in(reference->stub.get(), first, new_check_ins);
        };
      }
      // The duplicates counter sees the reference's and the baseline's
      // answers too; neither marks a duplicate.
      auto got = main_row(std::move(convene), std::move(least));
      if (!got) return 1;
      const Figures& f = got->first;
      const int64_t used = f.ok + f.failed;
      notes.push_back(absl::StrFormat(
          "CheckIn (new): %d of %d acknowledged check-ins were repeats (%.1f%%)%s",
          duplicates.load(), f.ok, f.ok > 0 ? 100.0 * duplicates.load() / f.ok : 0.0,
          used >= new_check_ins ? "; it ran out of new check-ins: raise --participants" : ""));
      duplicates = 0;
      const Figures repeats_base = got->second;
      Figures r = row("CheckIn (repeats)", check_in(attendance.get(), 0, std::max<int64_t>(used, 1)),
                      in_flight, length, INT64_MAX,
                      fastest_baseline != nullptr ? &repeats_base : base);
      notes.push_back(absl::StrFormat(
          "CheckIn (repeats): the same participants and sessions again: %d of %d were "
          "acknowledged as repeats (counted nothing)",
          duplicates.load(), r.ok));
      if (k1_rows && used < new_check_ins) {
        Side k1;
        k1.name = "CheckIn (new) K=1";
        k1.settles_after = true;
        k1.issue = [&, used](int64_t first) {
          return check_in(attendance.get(), used + first, new_check_ins);
        };
        k1.max_calls = new_check_ins - used;
        if (!k1_row(std::move(k1))) return 1;
      }
      continue;
    }
    convene.name = rpc;
    convene.settles_after = true;
    convene.issue = [&, rpc](int64_t) { return make_issue(rpc); };
    convene.measure_memory = rpc == "Register";
    if (reference && rpc == "Register") {
      least.name = "reference: least Register";
      least.server = &*reference;
      least.issue = [&](int64_t) { return register_with(reference->stub.get()); };
    }
    if (reference && (rpc == "ListEvents" || rpc == "GetAgenda")) {
      if (!read_reference) {
        if (absl::Status s = make_read_reference(); !s.ok()) {
          std::fprintf(stderr, "convene-bench: %s\n", s.ToString().c_str());
          return 1;
        }
      }
      least.name = "reference: least " + rpc;
      least.server = &*read_reference;
      least.issue = [&, rpc](int64_t) {
        return make_issue(rpc, read_reference->calendar_stub.get());
      };
    }
    if (!main_row(std::move(convene), std::move(least))) return 1;
    if (k1_rows) {
      Side k1;
      k1.name = rpc + " K=1";
      k1.settles_after = true;
      k1.issue = [&, rpc](int64_t) { return make_issue(rpc); };
      if (!k1_row(std::move(k1))) return 1;
    }
  }
  for (const std::string& note : notes) std::printf("%s\n", note.c_str());
  std::printf(
      "cmds/RPC: every command Redis ran during the row (INFO commandstats), inside "
      "scripts too, per call; scripts/RPC: EVALSHA and FCALL; redis us: Redis's CPU "
      "(INFO cpu, user + system) per call; * marks the baseline, the faster "
      "callback design; QPS/base and p99/base: each RPC's main row and its reference "
      "over the \"baseline * alternating\" row above them, run in alternating slices "
      "with them (the repeats row over CheckIn's), K=1 rows over the \"baseline * K=1 "
      "alternating\" row above each\n");
  for (Baseline& b : baselines) {
    if (b.server) b.server->Stop();
  }
  return 0;
}

}  // namespace
}  // namespace convene

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return convene::Run();
}
