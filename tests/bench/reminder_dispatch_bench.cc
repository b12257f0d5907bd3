// reminder_dispatch_bench: the notification service's dispatch path
// (ReminderDispatcher: Claim script, proto re-render, Complete script into the
// outbox stream) against a private redis-server on a unix socket. Prints
// figures next to baselines measured in the same run; asserts nothing about
// speed (it exits non-zero only if a run failed or delivered a reminder other
// than exactly once).
//
//   build/tests/bench/reminder_dispatch_bench [--burst=100000] [--batch=1000]
//       [--rate=1000] [--seconds=10] [--poll_ms=50]
//
// 1. Burst: `burst` reminders all due in the previous minute are planned
//    (ReplacePlan, 256 in flight; not timed into the figures), then one and
//    then two dispatchers (each with its own connection, like two replicas)
//    run RunDue until the due set is empty. The outbox is checked: XLEN and
//    the distinct notification ids (XRANGE in chunks) must both be `burst`.
//    Baseline: `burst` plain XADDs to a stream, pipelined `batch` at a time,
//    one round trip per batch: the floor of writing that many outbox entries.
//    Columns: exec s = time Redis spent executing the top-level commands
//    (EVALSHA, or XADD for the baseline; INFO commandstats), redis cpu / bench
//    cpu = CPU seconds of redis-server / of this process, cmds/rem = Redis
//    commands per reminder counting those the scripts run.
//    Then the burst once more on one connection, with Claim, the proto
//    re-rendering and Complete called the way RunBatch does them and INFO read
//    between the calls, to show where a batch's time goes.
// 2. Sustained: a producer plans `rate` reminders per second for `seconds`
//    (every 10 ms, each due the instant it is planned) while two dispatchers
//    run their background loops; a consumer reads the outbox with XREAD BLOCK
//    and takes lag = outbox entry id's milliseconds (when Redis appended it)
//    minus the due instant (encoded in the participant id "p<seq>-<due ms>").
//    Baseline: the same producer XADDing straight to a stream.
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/flags/flag.h"
#include "absl/functional/any_invocable.h"
#include "absl/flags/parse.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "convene/v1/notification.pb.h"
#include "core/blocking_call.h"
#include "core/clock.h"
#include "core/log.h"
#include "notification/reminder_dispatcher.h"
#include "storage/keys.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "notification/reminder_store.h"
#include "testing_util/redis_server.h"

ABSL_FLAG(int, burst, 100000, "reminders due at once (0: skip the burst runs)");
ABSL_FLAG(int, batch, 1000, "dispatcher batch (DispatcherOptions.batch)");
ABSL_FLAG(int, rate, 1000, "reminders planned per second in the sustained run");
ABSL_FLAG(int, seconds, 10, "seconds the sustained producer runs (0: skip)");
ABSL_FLAG(int, poll_ms, 50, "dispatcher poll interval in the sustained run");

namespace convene {
namespace {

constexpr char kReminderId[] = "event-PT1H";
constexpr int kPlanInFlight = 256;
constexpr char kBody[] =
    "Hello,\n\nthis is a reminder that \"Training of integration trainers\" "
    "starts in one hour, at 09:30 (Europe/Brussels), at Brussels City Hall, "
    "Grand-Place 1, 1000 Brussels. Online participants can join at "
    "https://meet.example.org/training from 09:15.\n\nSee you there!\n";

double Percentile(const std::vector<int64_t>& sorted, int pct) {
  if (sorted.empty()) return 0;
  return static_cast<double>(sorted[sorted.size() * pct / 100]);
}

// A rendered reminder like the planner stores: the serialised
// convene.v1.Notification with its idempotency key.
std::string Record(const std::string& event_id, const std::string& participant,
                   int64_t due_ms) {
  v1::Notification n;
  n.set_idempotency_key(absl::StrCat(event_id, "/", participant, "/", kReminderId, "/r1"));
  n.set_kind(v1::NOTIFICATION_KIND_REMINDER);
  n.set_event_id(event_id);
  n.set_event_revision(1);
  n.set_participant_id(participant);
  n.set_recipient_name(absl::StrCat("Participant ", participant));
  n.set_recipient_email(absl::StrCat(participant, "@example.org"));
  n.set_language("en");
  n.set_time_zone("Europe/Brussels");
  n.set_subject("Reminder: Training of integration trainers starts in one hour");
  n.set_body(kBody);
  n.set_reminder_id(kReminderId);
  n.mutable_due_time()->set_seconds(due_ms / 1000);
  n.mutable_due_time()->set_nanos(static_cast<int32_t>(due_ms % 1000) * 1000000);
  return n.SerializeAsString();
}

// The due ms a notification id "<event>/p<seq>-<due ms>/<reminder>/r1"
// carries; -1 if it has none.
int64_t DueOf(absl::string_view notification_id) {
  std::vector<absl::string_view> parts = absl::StrSplit(notification_id, '/');
  if (parts.size() < 2) return -1;
  const size_t dash = parts[1].rfind('-');
  int64_t due = -1;
  if (dash == absl::string_view::npos ||
      !absl::SimpleAtoi(parts[1].substr(dash + 1), &due)) {
    return -1;
  }
  return due;
}

// ---- what Redis and this process spent -----------------------------------

struct CommandStat {
  int64_t calls = 0, usec = 0;
};

std::map<std::string, CommandStat> CommandStats(storage::RedisSyncClient& redis) {
  std::map<std::string, CommandStat> stats;
  absl::StatusOr<storage::RedisReply> info = redis.Command({"INFO", "commandstats"});
  if (!info.ok()) return stats;
  for (absl::string_view line : absl::StrSplit(info->text(), "\r\n")) {
    // cmdstat_evalsha:calls=12,usec=345,usec_per_call=28.75,...
    if (!absl::ConsumePrefix(&line, "cmdstat_")) continue;
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    CommandStat s;
    for (absl::string_view kv : absl::StrSplit(line.substr(colon + 1), ',')) {
      if (absl::ConsumePrefix(&kv, "calls=")) (void)absl::SimpleAtoi(kv, &s.calls);
      if (absl::ConsumePrefix(&kv, "usec=")) (void)absl::SimpleAtoi(kv, &s.usec);
    }
    stats[std::string(line.substr(0, colon))] = s;
  }
  return stats;
}

// Redis' own CPU seconds (user + sys), from INFO cpu.
double RedisCpu(storage::RedisSyncClient& redis) {
  absl::StatusOr<storage::RedisReply> info = redis.Command({"INFO", "cpu"});
  if (!info.ok()) return 0;
  double total = 0;
  for (absl::string_view line : absl::StrSplit(info->text(), "\r\n")) {
    double v = 0;
    if ((absl::ConsumePrefix(&line, "used_cpu_sys:") ||
         absl::ConsumePrefix(&line, "used_cpu_user:")) &&
        absl::SimpleAtod(line, &v)) {
      total += v;
    }
  }
  return total;
}

// This process' CPU seconds (every thread: dispatchers, client loops).
double OwnCpu() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + u.ru_stime.tv_sec +
         u.ru_stime.tv_usec / 1e6;
}

// A span of the run: wall time, both processes' CPU and Redis' commands.
struct Span {
  double wall_s = 0, redis_cpu_s = 0, bench_cpu_s = 0;
  int64_t redis_calls = 0;  // every command, those run inside scripts too
  std::map<std::string, CommandStat> delta;
};

class SpanMeter {
 public:
  explicit SpanMeter(storage::RedisSyncClient& redis) : redis_(redis) {
    (void)redis_.Command({"CONFIG", "RESETSTAT"});
    redis_cpu_ = RedisCpu(redis_);
    own_cpu_ = OwnCpu();
    start_ = absl::Now();
  }
  Span Finish() {
    Span s;
    s.wall_s = absl::ToDoubleSeconds(absl::Now() - start_);
    s.bench_cpu_s = OwnCpu() - own_cpu_;
    s.redis_cpu_s = RedisCpu(redis_) - redis_cpu_;
    s.delta = CommandStats(redis_);
    s.delta.erase("info");
    s.delta.erase("config");
    for (const auto& [name, stat] : s.delta) s.redis_calls += stat.calls;
    return s;
  }

 private:
  storage::RedisSyncClient& redis_;
  double redis_cpu_ = 0, own_cpu_ = 0;
  absl::Time start_;
};

// ---- the burst -------------------------------------------------------------

struct Connection {
  std::unique_ptr<storage::RedisClient> client;
  std::unique_ptr<storage::ReminderStore> store;
};

absl::StatusOr<Connection> Connect(const std::string& address,
                                   absl::Duration command_timeout = absl::Seconds(2)) {
  storage::RedisClientOptions options;
  options.address = *storage::RedisAddress::Parse(address);
  options.command_timeout = command_timeout;
  absl::StatusOr<std::unique_ptr<storage::RedisClient>> client =
      storage::RedisClient::Start(options);
  if (!client.ok()) return client.status();
  Connection c;
  c.client = std::move(*client);
  c.store = std::make_unique<storage::ReminderStore>(*c.client);
  return c;
}

// Plans `count` reminders (one participant each) due over the minute before
// the current one, up to kPlanInFlight ReplacePlan calls in flight.
absl::Status PlanBurst(storage::ReminderStore& store, int count) {
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  const int64_t minute_ms = now_ms / 60000 * 60000 - 60000;
  absl::Mutex mu;
  int in_flight = 0, failed = 0;
  std::string first_error;
  for (int i = 0; i < count; ++i) {
    const std::string pid = absl::StrCat("p", i);
    const int64_t due_ms = minute_ms + static_cast<int64_t>(i) * 60000 / count;
    std::vector<storage::PendingReminder> plan = {
        {storage::ReminderStore::ReminderKey("ev_burst", pid, kReminderId), due_ms,
         Record("ev_burst", pid, due_ms)}};
    {
      absl::MutexLock lock(&mu);
      if (!mu.AwaitWithTimeout(absl::Condition(
                                   +[](int* n) { return *n < kPlanInFlight; }, &in_flight),
                               absl::Seconds(10))) {
        return absl::DeadlineExceededError("planning stalled");
      }
      ++in_flight;
    }
    store.ReplacePlan("ev_burst", pid, std::move(plan), absl::InfinitePast(),
                      [&](absl::StatusOr<int> r) {
      absl::MutexLock lock(&mu);
      --in_flight;
      if (!r.ok() && failed++ == 0) first_error = r.status().ToString();
    });
  }
  absl::MutexLock lock(&mu);
  if (!mu.AwaitWithTimeout(
          absl::Condition(+[](int* n) { return *n == 0; }, &in_flight), absl::Seconds(10))) {
    return absl::DeadlineExceededError("planning did not finish");
  }
  if (failed > 0) {
    return absl::InternalError(absl::StrCat(failed, " ReplacePlan calls failed: ", first_error));
  }
  return absl::OkStatus();
}

// What the outbox (or a baseline stream) holds: entries and distinct "n".
struct OutboxCheck {
  int64_t xlen = -1, entries = 0, distinct = 0;
};

OutboxCheck CheckStream(storage::RedisSyncClient& redis, const std::string& stream) {
  OutboxCheck c;
  absl::StatusOr<storage::RedisReply> xlen = redis.Command({"XLEN", stream});
  if (!xlen.ok() || !xlen->as_integer().ok()) return c;
  c.xlen = *xlen->as_integer();
  absl::flat_hash_set<std::string> ids;
  ids.reserve(c.xlen);
  constexpr int kChunk = 10000;
  std::string from = "-";
  for (int64_t round = 0; round <= c.xlen / kChunk + 1; ++round) {
    absl::StatusOr<storage::RedisReply> range = redis.Command(
        {"XRANGE", stream, from, "+", "COUNT", absl::StrCat(kChunk)}, absl::Seconds(10));
    if (!range.ok() || range->elements().empty()) break;
    for (const storage::RedisReply& entry : range->elements()) {
      if (entry.elements().size() != 2) continue;
      ++c.entries;
      auto fields = entry.elements()[1].elements();
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        if (fields[i].text() == "n") ids.insert(fields[i + 1].text());
      }
    }
    from = absl::StrCat("(", range->elements().back().elements()[0].text());
  }
  c.distinct = static_cast<int64_t>(ids.size());
  return c;
}

struct BurstRun {
  std::string name;
  double plan_s = 0;
  Span span;
  int64_t dispatched = 0, failed = 0;
  std::vector<int64_t> per_dispatcher;
  OutboxCheck outbox;
  int64_t left_due = -1, left_leased = -1, left_records = -1;
  std::string error;
};

int64_t IntReply(storage::RedisSyncClient& redis, std::vector<std::string> argv) {
  absl::StatusOr<storage::RedisReply> r = redis.Command(std::move(argv));
  if (!r.ok() || !r->as_integer().ok()) return -1;
  return *r->as_integer();
}

// Plans the burst, then `dispatchers` dispatchers each RunDue until the due
// set is empty; checks the outbox.
BurstRun RunBurst(testing_util::RedisServer& server, storage::RedisSyncClient& admin,
                  int count, int batch, int dispatchers) {
  BurstRun run;
  run.name = dispatchers == 1 ? "1 dispatcher" : absl::StrCat(dispatchers, " dispatchers");
  if (absl::Status s = server.Run({"FLUSHALL"}, absl::Seconds(30)).status(); !s.ok()) {
    run.error = absl::StrCat("FLUSHALL: ", s.ToString());
    return run;
  }
  {
    absl::StatusOr<Connection> planner = Connect(server.address());
    if (!planner.ok()) {
      run.error = planner.status().ToString();
      return run;
    }
    const absl::Time start = absl::Now();
    if (absl::Status s = PlanBurst(*planner->store, count); !s.ok()) {
      run.error = s.ToString();
      return run;
    }
    run.plan_s = absl::ToDoubleSeconds(absl::Now() - start);
  }
  core::SystemClock clock;
  std::vector<Connection> connections;
  std::vector<std::unique_ptr<notification::ReminderDispatcher>> ds;
  for (int i = 0; i < dispatchers; ++i) {
    absl::StatusOr<Connection> c = Connect(server.address());
    if (!c.ok()) {
      run.error = c.status().ToString();
      return run;
    }
    connections.push_back(std::move(*c));
    ds.push_back(std::make_unique<notification::ReminderDispatcher>(
        *connections.back().store, clock,
        notification::DispatcherOptions{.owner = absl::StrCat("bench-", i),
                                        .batch = batch,
                                        .lease = absl::Seconds(30)}));
  }
  // Connected before the clock starts.
  for (Connection& c : connections) {
    (void)storage::RedisSyncClient(*c.client).Command({"PING"});
  }
  // Bounded: rounds of RunDue and a deadline of a minute plus 1 ms per
  // reminder.
  const absl::Time deadline =
      absl::Now() + absl::Seconds(60) + absl::Milliseconds(count);
  const int max_rounds = count / std::max(batch, 1) + 100;
  std::vector<int64_t> done(dispatchers, 0), failed(dispatchers, 0);
  std::vector<std::string> errors(dispatchers);
  SpanMeter meter(admin);
  std::vector<std::thread> threads;
  for (int i = 0; i < dispatchers; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < max_rounds; ++round) {
        if (absl::Now() > deadline) {
          errors[i] = "deadline passed with reminders still due";
          return;
        }
        absl::StatusOr<notification::DispatchRun> r = ds[i]->RunDue(count);
        if (!r.ok()) {
          errors[i] = r.status().ToString();
          return;
        }
        done[i] += r->dispatched;
        failed[i] += r->failed;
        if (r->remaining_due == 0) return;
      }
      errors[i] = "out of rounds with reminders still due";
    });
  }
  for (std::thread& t : threads) t.join();
  run.span = meter.Finish();
  for (int i = 0; i < dispatchers; ++i) {
    run.dispatched += done[i];
    run.failed += failed[i];
    run.per_dispatcher.push_back(done[i]);
    if (!errors[i].empty() && run.error.empty()) {
      run.error = absl::StrCat("dispatcher ", i, ": ", errors[i]);
    }
  }
  run.outbox = CheckStream(admin, storage::keys::ReminderShard(0).Outbox());
  run.left_due = IntReply(admin, {"ZCARD", storage::keys::ReminderShard(0).DueReminders()});
  run.left_leased = IntReply(admin, {"ZCARD", storage::keys::ReminderShard(0).Leases()});
  run.left_records = IntReply(admin, {"HLEN", storage::keys::ReminderShard(0).Reminders()});
  return run;
}

// The floor: `count` plain XADDs (the outbox entry's fields) to a fresh
// stream, `batch` per pipeline, one pipeline at a time on one connection.
BurstRun RunXaddBaseline(testing_util::RedisServer& server,
                         storage::RedisSyncClient& admin, int count, int batch) {
  BurstRun run;
  run.name = "baseline: plain XADD";
  if (absl::Status s = server.Run({"FLUSHALL"}, absl::Seconds(30)).status(); !s.ok()) {
    run.error = absl::StrCat("FLUSHALL: ", s.ToString());
    return run;
  }
  absl::StatusOr<Connection> c = Connect(server.address());
  if (!c.ok()) {
    run.error = c.status().ToString();
    return run;
  }
  storage::RedisSyncClient sync(*c->client);
  (void)sync.Command({"PING"});
  const std::string stream = "bench:outbox";
  SpanMeter meter(admin);
  for (int from = 0; from < count && run.error.empty(); from += batch) {
    std::vector<std::vector<std::string>> commands;
    const int to = std::min(count, from + batch);
    commands.reserve(to - from);
    for (int i = from; i < to; ++i) {
      commands.push_back({"XADD", stream, "MAXLEN", "~", "1000000", "*", "n",
                          absl::StrCat("ev_burst/p", i, "/", kReminderId, "/r1"), "e",
                          "ev_burst"});
    }
    absl::StatusOr<std::vector<absl::StatusOr<storage::RedisReply>>> r =
        sync.Pipeline(std::move(commands));
    if (!r.ok()) {
      run.error = r.status().ToString();
      break;
    }
    for (const auto& one : *r) {
      if (one.ok()) {
        ++run.dispatched;
      } else if (run.error.empty()) {
        run.error = one.status().ToString();
      }
    }
  }
  run.span = meter.Finish();
  run.outbox = CheckStream(admin, stream);
  return run;
}

void PrintBurstRow(const BurstRun& r, int count, double baseline_s) {
  const int64_t redis_cmds = r.span.redis_calls;
  char plan[32] = "-";
  if (r.plan_s > 0) std::snprintf(plan, sizeof(plan), "%.1f", r.plan_s);
  // Top-level commands' execution inside Redis: the scripts, or the XADDs.
  int64_t script_us = 0;
  for (const char* top : {"evalsha", "eval", "zcount"}) {
    if (auto it = r.span.delta.find(top); it != r.span.delta.end()) script_us += it->second.usec;
  }
  if (r.span.delta.count("evalsha") == 0 && r.span.delta.count("xadd")) {
    script_us = r.span.delta.at("xadd").usec;
  }
  std::printf("%-22s %8.2f %12.0f %8.2fx %9lld %9lld %9.2f %9.2f %9.2f %9.2f %9s",
              r.name.c_str(), r.span.wall_s, count / std::max(r.span.wall_s, 1e-9),
              r.span.wall_s / std::max(baseline_s, 1e-9),
              static_cast<long long>(r.outbox.xlen),
              static_cast<long long>(r.outbox.distinct), script_us / 1e6, r.span.redis_cpu_s,
              r.span.bench_cpu_s, redis_cmds / std::max(1.0, 1.0 * count),
              plan);
  if (r.per_dispatcher.size() > 1) {
    std::printf("   split");
    for (int64_t n : r.per_dispatcher) std::printf(" %lld", static_cast<long long>(n));
  }
  std::printf("\n");
  if (!r.error.empty()) std::printf("  error: %s\n", r.error.c_str());
  std::fflush(stdout);
}

// ---- where a batch's time goes ----------------------------------------------

struct Profile {
  int batches = 0;
  int64_t reminders = 0;
  // Client side, round trips included.
  double claim_s = 0, render_s = 0, complete_s = 0;
  // Redis side: EVALSHA execution (commandstats usec) and Redis' CPU.
  int64_t claim_script_us = 0, complete_script_us = 0;
  double claim_redis_cpu_s = 0, complete_redis_cpu_s = 0;
  int64_t claim_reply_bytes = 0, complete_request_bytes = 0;
  std::map<std::string, CommandStat> commands;  // the whole run, scripts' too
  std::string error;
};

int64_t EvalshaUsec(storage::RedisSyncClient& admin) {
  std::map<std::string, CommandStat> stats = CommandStats(admin);
  return stats.count("evalsha") ? stats["evalsha"].usec : 0;
}

// Plans the burst again and dispatches it on one connection, calling
// Claim, the rendering and Complete the way ReminderDispatcher::RunBatch does
// (a copy of its steps), reading INFO between the calls (not timed).
Profile RunProfile(testing_util::RedisServer& server, storage::RedisSyncClient& admin,
                   int count, int batch) {
  Profile p;
  if (absl::Status s = server.Run({"FLUSHALL"}, absl::Seconds(30)).status(); !s.ok()) {
    p.error = s.ToString();
    return p;
  }
  absl::StatusOr<Connection> c = Connect(server.address());
  if (!c.ok()) {
    p.error = c.status().ToString();
    return p;
  }
  if (absl::Status s = PlanBurst(*c->store, count); !s.ok()) {
    p.error = s.ToString();
    return p;
  }
  core::SystemClock clock;
  const std::string owner = "bench-profile";
  (void)admin.Command({"CONFIG", "RESETSTAT"});
  for (int round = 0; round < count / batch + 2; ++round) {
    int64_t us0 = EvalshaUsec(admin);
    double cpu0 = RedisCpu(admin);
    absl::Time t0 = absl::Now();
    absl::StatusOr<std::vector<storage::ClaimedReminder>> claimed =
        core::BlockingCall<std::vector<storage::ClaimedReminder>>([&](auto done) {
          c->store->Claim(0, owner, clock.Now(), absl::Seconds(30), batch, std::move(done));
        }, absl::Seconds(30));
    p.claim_s += absl::ToDoubleSeconds(absl::Now() - t0);
    p.claim_redis_cpu_s += RedisCpu(admin) - cpu0;
    p.claim_script_us += EvalshaUsec(admin) - us0;
    if (!claimed.ok()) {
      p.error = claimed.status().ToString();
      break;
    }
    if (claimed->empty()) break;
    ++p.batches;
    t0 = absl::Now();
    std::vector<storage::DeliveredReminder> delivered;
    delivered.reserve(claimed->size());
    const absl::Time created = clock.Now();
    for (storage::ClaimedReminder& cr : *claimed) {
      p.claim_reply_bytes += cr.key.size() + cr.record.size();
      v1::Notification n;
      if (!n.ParseFromString(cr.record)) continue;
      n.set_notification_id(n.idempotency_key());
      n.mutable_create_time()->set_seconds(absl::ToUnixSeconds(created));
      delivered.push_back({std::move(cr.key), n.notification_id(), n.event_id(),
                           n.participant_id(), n.SerializeAsString()});
      const storage::DeliveredReminder& d = delivered.back();
      p.complete_request_bytes += d.key.size() + d.notification_id.size() +
                                  d.event_id.size() + d.participant_id.size() +
                                  d.record.size();
    }
    p.render_s += absl::ToDoubleSeconds(absl::Now() - t0);
    us0 = EvalshaUsec(admin);
    cpu0 = RedisCpu(admin);
    t0 = absl::Now();
    absl::StatusOr<storage::CompleteOutcome> outcome =
        core::BlockingCall<storage::CompleteOutcome>([&](auto done) {
          c->store->Complete(0, owner, created, std::move(delivered), std::move(done));
        }, absl::Seconds(30));
    p.complete_s += absl::ToDoubleSeconds(absl::Now() - t0);
    p.complete_redis_cpu_s += RedisCpu(admin) - cpu0;
    p.complete_script_us += EvalshaUsec(admin) - us0;
    if (!outcome.ok()) {
      p.error = outcome.status().ToString();
      break;
    }
    p.reminders += outcome->completed;
  }
  p.commands = CommandStats(admin);
  p.commands.erase("info");
  p.commands.erase("config");
  return p;
}

void PrintProfile(const Profile& p, const BurstRun& base) {
  const double n = std::max<double>(1, p.reminders);
  const double b = std::max(1, p.batches);
  std::printf(
      "where a batch's time goes: %lld reminders in %d batches on one connection, Claim / "
      "render / Complete as RunBatch does them, INFO read between calls:\n",
      static_cast<long long>(p.reminders), p.batches);
  std::printf("%-10s %10s %11s %10s %13s %12s %13s\n", "step", "ms/batch", "us/reminder",
              "script ms", "redis cpu ms", "KiB/batch", "of the 3 steps");
  const double total = p.claim_s + p.render_s + p.complete_s;
  auto row = [&](const char* name, double s, int64_t script_us, double cpu_s, int64_t bytes) {
    char script[32] = "-", cpu[32] = "-";
    if (script_us >= 0) std::snprintf(script, sizeof(script), "%.1f", script_us / 1e3 / b);
    if (cpu_s >= 0) std::snprintf(cpu, sizeof(cpu), "%.1f", cpu_s * 1e3 / b);
    std::printf("%-10s %10.2f %11.2f %10s %13s %12.0f %12.0f%%\n", name, s * 1e3 / b,
                s * 1e6 / n, script, cpu, bytes / 1024.0 / b, 100 * s / std::max(total, 1e-9));
  };
  row("claim", p.claim_s, p.claim_script_us, p.claim_redis_cpu_s, p.claim_reply_bytes);
  row("render", p.render_s, -1, -1, 0);
  row("complete", p.complete_s, p.complete_script_us, p.complete_redis_cpu_s,
      p.complete_request_bytes);
  // The commands the scripts ran, costliest first.
  std::vector<std::pair<std::string, CommandStat>> inner(p.commands.begin(), p.commands.end());
  std::sort(inner.begin(), inner.end(),
            [](const auto& x, const auto& y) { return x.second.usec > y.second.usec; });
  std::printf("  redis commands per reminder (calls, us):");
  int shown = 0;
  for (const auto& [name, stat] : inner) {
    if (shown++ == 8) break;
    std::printf(" %s %.1f/%.2f", name.c_str(), stat.calls / n, stat.usec / n);
  }
  std::printf("\n");
  const auto xadd = base.span.delta.find("xadd");
  if (xadd != base.span.delta.end()) {
    std::printf("  baseline plain XADD: %.2f us per entry inside Redis, %.2f us per entry "
                "wall\n",
                xadd->second.usec / std::max<double>(1, xadd->second.calls),
                base.span.wall_s * 1e6 / std::max<double>(1, xadd->second.calls));
  }
  if (!p.error.empty()) std::printf("  error: %s\n", p.error.c_str());
  std::fflush(stdout);
}

// ---- the sustained run -------------------------------------------------------

struct LagRun {
  std::string name;
  int64_t planned = 0, plan_failed = 0, seen = 0, distinct = 0, unparsed = 0;
  double produce_s = 0, consume_s = 0;
  std::vector<int64_t> lags_ms;  // sorted
  std::string error;
};

// Emits reminder `seq` due at `due_ms`, calling `done(ok)` once, from any
// thread.
using Emit = std::function<void(int64_t seq, int64_t due_ms,
                                absl::AnyInvocable<void(bool)> done)>;

// Producer: `rate`/s for `seconds` in 10 ms ticks, each due when emitted;
// consumer: XREAD BLOCK on `stream` until all were seen or seconds + 10 s.
LagRun RunLag(const std::string& name, const std::string& address,
              const std::string& stream, int rate, int seconds, const Emit& emit) {
  LagRun run;
  run.name = name;
  const int64_t total = static_cast<int64_t>(rate) * seconds;
  core::SystemClock clock;
  std::atomic<int64_t> planned_total{-1};  // known once the producer is done
  std::atomic<bool> consumer_ready{false};

  std::thread consumer([&] {
    storage::RedisClientOptions options;
    options.address = *storage::RedisAddress::Parse(address);
    options.command_timeout = absl::Seconds(5);
    absl::StatusOr<std::unique_ptr<storage::RedisSyncClient>> redis =
        storage::RedisSyncClient::Start(options);
    if (!redis.ok()) {
      run.error = redis.status().ToString();
      consumer_ready = true;
      return;
    }
    (void)(*redis)->Command({"PING"});
    consumer_ready = true;
    absl::flat_hash_set<std::string> ids;
    ids.reserve(total);
    const absl::Time start = absl::Now();
    const absl::Time deadline = start + absl::Seconds(seconds + 10);
    std::string last = "0-0";
    const int64_t max_reads = total + 100000;
    for (int64_t reads = 0; reads < max_reads && absl::Now() < deadline; ++reads) {
      const int64_t expected = planned_total.load();
      if (expected >= 0 && run.seen >= expected) break;
      absl::StatusOr<storage::RedisReply> r = (*redis)->Command(
          {"XREAD", "COUNT", "1000", "BLOCK", "200", "STREAMS", stream, last},
          absl::Seconds(3));
      if (!r.ok()) {
        if (run.error.empty()) run.error = absl::StrCat("XREAD: ", r.status().ToString());
        absl::SleepFor(absl::Milliseconds(50));
        continue;
      }
      if (r->is_nil()) continue;  // BLOCK timed out
      for (const storage::RedisReply& s : r->elements()) {
        if (s.elements().size() != 2) continue;
        for (const storage::RedisReply& entry : s.elements()[1].elements()) {
          if (entry.elements().size() != 2) continue;
          last = entry.elements()[0].text();
          ++run.seen;
          int64_t appended_ms = -1;
          (void)absl::SimpleAtoi(absl::string_view(last).substr(0, last.find('-')),
                                 &appended_ms);
          auto fields = entry.elements()[1].elements();
          for (size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i].text() != "n") continue;
            const int64_t due = DueOf(fields[i + 1].text());
            if (due < 0 || appended_ms < 0) {
              ++run.unparsed;
            } else {
              run.lags_ms.push_back(appended_ms - due);
            }
            ids.insert(fields[i + 1].text());
          }
        }
      }
    }
    run.consume_s = absl::ToDoubleSeconds(absl::Now() - start);
    run.distinct = static_cast<int64_t>(ids.size());
  });
  for (int i = 0; i < 500 && !consumer_ready; ++i) absl::SleepFor(absl::Milliseconds(10));

  // The producer, on this thread, with at most 1024 emits in flight.
  absl::Mutex mu;
  int in_flight = 0;
  int64_t failed = 0;
  std::string producer_error;
  const absl::Time start = clock.Now();
  const int ticks = seconds * 100;
  int64_t planned = 0;
  for (int t = 0; t < ticks; ++t) {
    const int64_t target = total * (t + 1) / ticks;
    for (; planned < target; ++planned) {
      {
        absl::MutexLock lock(&mu);
        if (!mu.AwaitWithTimeout(
                absl::Condition(+[](int* n) { return *n < 1024; }, &in_flight),
                absl::Seconds(10))) {
          producer_error = "producer stalled";
          break;
        }
        ++in_flight;
      }
      emit(planned, absl::ToUnixMillis(clock.Now()), [&](bool ok) {
        absl::MutexLock lock(&mu);
        --in_flight;
        if (!ok) ++failed;
      });
    }
    if (planned < target) break;  // stalled
    const absl::Duration wait = start + absl::Milliseconds(10) * (t + 1) - clock.Now();
    if (wait > absl::ZeroDuration()) absl::SleepFor(wait);
  }
  run.produce_s = absl::ToDoubleSeconds(clock.Now() - start);
  {
    absl::MutexLock lock(&mu);
    (void)mu.AwaitWithTimeout(
        absl::Condition(+[](int* n) { return *n == 0; }, &in_flight), absl::Seconds(10));
    run.plan_failed = failed;
  }
  run.planned = planned;
  planned_total = planned - run.plan_failed;
  consumer.join();
  if (run.error.empty()) run.error = producer_error;
  std::sort(run.lags_ms.begin(), run.lags_ms.end());
  return run;
}

void PrintLagRow(const LagRun& r) {
  double mean = 0;
  for (int64_t l : r.lags_ms) mean += l;
  if (!r.lags_ms.empty()) mean /= r.lags_ms.size();
  std::printf("%-30s %8lld %9lld %9lld %8.0f %8.0f %8lld %8.1f   (produced in %.1f s)\n",
              r.name.c_str(), static_cast<long long>(r.planned),
              static_cast<long long>(r.seen), static_cast<long long>(r.distinct),
              Percentile(r.lags_ms, 50), Percentile(r.lags_ms, 99),
              static_cast<long long>(r.lags_ms.empty() ? 0 : r.lags_ms.back()), mean,
              r.produce_s);
  if (r.plan_failed > 0 || r.unparsed > 0) {
    std::printf("  %lld emits failed, %lld entries without a due instant\n",
                static_cast<long long>(r.plan_failed), static_cast<long long>(r.unparsed));
  }
  if (!r.error.empty()) std::printf("  error: %s\n", r.error.c_str());
  std::fflush(stdout);
}

// ---- main -------------------------------------------------------------------

int Run() {
  core::SetMinLogLevel(core::LogLevel::kWarn);
  const int burst = absl::GetFlag(FLAGS_burst);
  const int batch = std::max(1, absl::GetFlag(FLAGS_batch));
  const int rate = absl::GetFlag(FLAGS_rate);
  const int seconds = absl::GetFlag(FLAGS_seconds);
  const int poll_ms = absl::GetFlag(FLAGS_poll_ms);
  const unsigned cores = std::thread::hardware_concurrency();

  auto server = testing_util::RedisServer::Start();
  if (!server.ok()) {
    std::fprintf(stderr, "redis-server: %s\n", server.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<Connection> admin_connection = Connect((*server)->address(), absl::Seconds(10));
  if (!admin_connection.ok()) return 1;
  storage::RedisSyncClient admin(*admin_connection->client);
  bool ok = true;

  if (burst > 0) {
    std::printf(
        "Reminder dispatch, burst: %d reminders due in the previous minute, batch %d, "
        "lease 30 s, RunDue until the due set is empty; %u cores, one process, "
        "private redis-server on a unix socket (each dispatcher its own connection)\n",
        burst, batch, cores);
    std::printf("%-22s %8s %12s %9s %9s %9s %9s %9s %9s %9s %9s\n", "run", "wall s",
                "reminders/s", "vs base", "XLEN", "distinct", "exec s", "redis cpu",
                "bench cpu", "cmds/rem", "plan s");
    BurstRun base = RunXaddBaseline(**server, admin, burst, batch);
    PrintBurstRow(base, burst, base.span.wall_s);
    ok &= base.error.empty() && base.outbox.xlen == burst;
    std::vector<BurstRun> runs;
    for (int dispatchers : {1, 2}) {
      runs.push_back(RunBurst(**server, admin, burst, batch, dispatchers));
      const BurstRun& r = runs.back();
      PrintBurstRow(r, burst, base.span.wall_s);
      const bool exactly_once = r.dispatched == burst && r.outbox.xlen == burst &&
                                r.outbox.entries == burst && r.outbox.distinct == burst &&
                                r.left_due == 0 && r.left_leased == 0 && r.left_records == 0;
      if (!exactly_once) {
        std::printf(
            "  NOT exactly once: dispatched %lld (failed %lld), outbox XLEN %lld, "
            "entries %lld, distinct %lld; left due %lld, leased %lld, records %lld\n",
            static_cast<long long>(r.dispatched), static_cast<long long>(r.failed),
            static_cast<long long>(r.outbox.xlen), static_cast<long long>(r.outbox.entries),
            static_cast<long long>(r.outbox.distinct), static_cast<long long>(r.left_due),
            static_cast<long long>(r.left_leased), static_cast<long long>(r.left_records));
      }
      ok &= exactly_once && r.error.empty();
    }
    PrintProfile(RunProfile(**server, admin, burst, batch), base);
    if (runs.size() == 2) {
      std::printf(
          "ratio: 2 dispatchers %.2fx the time of plain XADD, %.2fx of 1 dispatcher; "
          "target %d within 10 s: %.2f s\n",
          runs[1].span.wall_s / std::max(base.span.wall_s, 1e-9),
          runs[1].span.wall_s / std::max(runs[0].span.wall_s, 1e-9), burst,
          runs[1].span.wall_s);
    }
    std::printf("\n");
    std::fflush(stdout);
  }

  if (seconds > 0 && rate > 0) {
    std::printf(
        "Reminder dispatch, sustained: %d reminders/s for %d s (planned every 10 ms, each "
        "due the instant it is planned), 2 dispatchers (Start(), poll %d ms, batch %d), "
        "real clock; lag = outbox entry id ms - due ms; %u cores\n",
        rate, seconds, poll_ms, batch, cores);
    std::printf("%-30s %8s %9s %9s %8s %8s %8s %8s\n", "path", "planned", "delivered",
                "distinct", "p50 ms", "p99 ms", "max ms", "mean ms");
    // Baseline: the same producer appending straight to a stream.
    (void)(*server)->Run({"FLUSHALL"}, absl::Seconds(30));
    absl::StatusOr<Connection> producer = Connect((*server)->address());
    if (!producer.ok()) return 1;
    storage::RedisClient& producer_client = *producer->client;
    LagRun base = RunLag(
        "baseline: producer XADDs", (*server)->address(), "bench:lag", rate, seconds,
        [&](int64_t seq, int64_t due_ms, absl::AnyInvocable<void(bool)> done) {
          producer_client.Command(
              {"XADD", "bench:lag", "*", "n",
               absl::StrCat("ev_rate/p", seq, "-", due_ms, "/", kReminderId, "/r1"), "e",
               "ev_rate"},
              [done = std::move(done)](absl::StatusOr<storage::RedisReply> r) mutable {
                done(r.ok());
              });
        });
    PrintLagRow(base);
    ok &= base.error.empty() && base.seen == base.planned;

    (void)(*server)->Run({"FLUSHALL"}, absl::Seconds(30));
    core::SystemClock clock;
    std::vector<Connection> connections;
    std::vector<std::unique_ptr<notification::ReminderDispatcher>> ds;
    for (int i = 0; i < 2; ++i) {
      absl::StatusOr<Connection> c = Connect((*server)->address());
      if (!c.ok()) return 1;
      connections.push_back(std::move(*c));
      ds.push_back(std::make_unique<notification::ReminderDispatcher>(
          *connections.back().store, clock,
          notification::DispatcherOptions{.owner = absl::StrCat("bench-", i),
                                          .batch = batch,
                                          .lease = absl::Seconds(30),
                                          .poll = absl::Milliseconds(poll_ms)}));
    }
    for (auto& d : ds) d->Start();
    storage::ReminderStore& store = *producer->store;
    LagRun lag = RunLag(
        "2 dispatchers", (*server)->address(), storage::keys::ReminderShard(0).Outbox(), rate,
        seconds, [&](int64_t seq, int64_t due_ms, absl::AnyInvocable<void(bool)> done) {
          const std::string pid = absl::StrCat("p", seq, "-", due_ms);
          std::vector<storage::PendingReminder> plan = {
              {storage::ReminderStore::ReminderKey("ev_rate", pid, kReminderId), due_ms,
               Record("ev_rate", pid, due_ms)}};
          store.ReplacePlan("ev_rate", pid, std::move(plan), absl::InfinitePast(),
                            [done = std::move(done)](absl::StatusOr<int> r) mutable {
                              done(r.ok());
                            });
        });
    for (auto& d : ds) d->Stop();
    PrintLagRow(lag);
    ok &= lag.error.empty() && lag.seen == lag.planned && lag.distinct == lag.planned;
    std::printf(
        "ratio: p99 %.0f ms vs %.0f ms baseline (floor: a dispatcher idles %d ms between "
        "polls); target p99 < 1000 ms\n",
        Percentile(lag.lags_ms, 99), Percentile(base.lags_ms, 99), poll_ms);
    std::fflush(stdout);
  }
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace convene

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return convene::Run();
}
