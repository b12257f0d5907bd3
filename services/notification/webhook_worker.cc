#include "notification/webhook_worker.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/blocking_call.h"
#include "core/log.h"
#include "google/protobuf/util/json_util.h"
#include "notification/scripts/webhook_finish_lua.h"
#include "notification/store_call.h"
#include "rpc/proto_time.h"
#include "storage/keys.h"

namespace convene::notification {
namespace {

// What each webhook made of one notification, so that a replica taking
// the entry over sends only what was not taken.
std::string ProgressKey(const storage::OutboxEntry& e) {
  return storage::keys::ReminderShard(e.shard).WebhookProgress(e.notification_id);
}
// Left behind only if the entry is never finished (its events erased).
constexpr absl::Duration kProgressKept = absl::Hours(24);

// Orders a shard's entries as the outbox does ("<ms>-<seq>").
std::string WorkKey(const storage::OutboxEntry& e) {
  std::pair<std::string, std::string> parts = absl::StrSplit(e.entry_id, absl::MaxSplits('-', 1));
  uint64_t ms = 0, seq = 0;
  (void)absl::SimpleAtoi(parts.first, &ms);
  (void)absl::SimpleAtoi(parts.second, &seq);
  return absl::StrFormat("%05d/%020d-%020d", e.shard, ms, seq);
}

std::string NoBars(std::string text) {
  for (char& c : text) {
    if (c == '|') c = '/';  // the hashes separate fields with it
  }
  return text;
}

}  // namespace

WebhookWorker::~WebhookWorker() { Stop(); }

absl::Status WebhookWorker::Apply(Lane& lane) {
  // First, so that an entry whose record fails below is not left waiting
  // for a lane that is gone (it is tried again).
  for (const auto& [key, delivery] : lane.items) {
    if (auto it = work_.find(key); it != work_.end()) --it->second.in_flight;
  }
  Receiver& r = receivers_[lane.hook_id];
  for (auto& [key, outcome] : lane.results) {
    auto it = work_.find(key);
    if (it == work_.end()) continue;
    Work& w = it->second;
    Progress& p = w.progress[lane.hook_id];
    p.tries += std::max(1, outcome.attempts);
    if (outcome.delivered) {
      p = {"ok", p.tries, ""};
      r = Receiver{};
    } else {
      p.reason = outcome.failure_reason;
      p.verdict = outcome.final || p.tries >= options_.max_attempts ? "fail" : "retry";
      if (!outcome.final) {
        ++r.failures;
        absl::Duration park = options_.first_park;
        for (int i = 1; i < r.failures && park < options_.max_park; ++i) park *= 2;
        r.parked_until = app_.clock().Now() + std::min(park, options_.max_park);
      }
    }
    const std::string progress_key = ProgressKey(w.entry);
    absl::StatusOr<storage::RedisReply> set = redis_.Command(
        {"HSET", progress_key, lane.hook_id,
         absl::StrCat(p.verdict, "|", p.tries, "|", NoBars(p.reason))});
    if (!set.ok()) return set.status();
    (void)redis_.Command(
        {"PEXPIRE", progress_key, absl::StrCat(absl::ToInt64Milliseconds(kProgressKept))});
  }
  return absl::OkStatus();
}

absl::Status WebhookWorker::Collect(bool all) {
  absl::Status first;
  for (auto it = lanes_.begin(); it != lanes_.end();) {
    Lane& lane = *it->second;
    if (!all && !lane.done.load()) {
      ++it;
      continue;
    }
    lane.thread.join();
    if (absl::Status s = Apply(lane); !s.ok() && first.ok()) first = s;
    lanes_.erase(it++);
  }
  return first;
}

absl::StatusOr<int> WebhookWorker::Step(absl::Duration block) {
  const core::Clock& clock = app_.clock();
  int progressed = 0;
  if (absl::Status s = Collect(false); !s.ok()) return s;
  // With deliveries waiting (parked, or in lanes), look again soon.
  if (!work_.empty()) block = std::min(block, absl::Milliseconds(200));
  absl::StatusOr<std::vector<storage::OutboxEntry>> entries =
      reader_.Take(kGroup, options_.consumer, options_.lease, 20, block);
  if (!entries.ok()) return entries.status();
  for (const storage::OutboxEntry& e : *entries) {
    const std::string key = WorkKey(e);
    if (work_.count(key)) continue;  // ours already, claimed back after the lease
    absl::StatusOr<v1::Notification> n = core::BlockingCall<v1::Notification>(
        [&](auto done) { app_.GetNotification(e.notification_id, std::move(done)); },
        kStoreCallTimeout);
    if (!n.ok() && !absl::IsNotFound(n.status())) return n.status();
    Work w;
    w.entry = e;
    w.since = clock.Now();
    if (n.ok()) {
      w.found = true;
      google::protobuf::util::JsonPrintOptions json;
      json.preserve_proto_field_names = true;
      (void)google::protobuf::util::MessageToJsonString(*n, &w.body, json);
      w.idempotency_key = n->idempotency_key();
      w.create_time = rpc::TimeFromProto(n->create_time());
      w.event_id = n->event_id();
      // What another replica did before it died.
      absl::StatusOr<storage::RedisReply> got = redis_.Command({"HGETALL", ProgressKey(e)});
      if (!got.ok()) return got.status();
      const auto fields = got->elements();
      for (size_t i = 0; i + 1 < fields.size(); i += 2) {
        std::vector<std::string> parts =
            absl::StrSplit(fields[i + 1].text(), absl::MaxSplits('|', 2));
        if (parts.size() != 3) continue;
        Progress& p = w.progress[fields[i].text()];
        p.verdict = parts[0];
        (void)absl::SimpleAtoi(parts[1], &p.tries);
        p.reason = parts[2];
      }
    }
    work_.emplace(key, std::move(w));
  }
  if (work_.empty()) return 0;
  absl::StatusOr<std::vector<v1::Webhook>> hooks = core::BlockingCall<std::vector<v1::Webhook>>(
      [&](auto done) { app_.ListWebhooks(true, std::move(done)); }, kStoreCallTimeout);
  if (!hooks.ok()) return hooks.status();
  // Each entry's webhooks, as they are now (a deleted one is no longer owed).
  std::map<std::string, std::vector<const v1::Webhook*>> targets;
  for (auto& [key, w] : work_) {
    if (!w.found) continue;
    for (const v1::Webhook& h : *hooks) {
      const bool for_event =
          h.event_ids().empty() ||
          std::find(h.event_ids().begin(), h.event_ids().end(), w.event_id) != h.event_ids().end();
      // A webhook gets what was created after it, not the history.
      if (for_event && w.create_time >= rpc::TimeFromProto(h.create_time())) {
        targets[key].push_back(&h);
      }
    }
  }

  // The lanes: each receiver that is neither parked nor busy gets its
  // deliveries in outbox order on a thread of its own, until one fails or
  // its budget is spent; the others go on meanwhile.
  const absl::Time now = clock.Now();
  std::map<std::string, std::unique_ptr<Lane>> starting;
  for (auto& [key, hooks_of] : targets) {
    Work& w = work_[key];
    for (const v1::Webhook* h : hooks_of) {
      const Progress& p = w.progress[h->id()];
      if (p.verdict == "ok" || p.verdict == "fail") continue;
      if (lanes_.count(h->id()) || receivers_[h->id()].parked_until > now) continue;
      std::unique_ptr<Lane>& lane = starting[h->id()];
      if (!lane) {
        lane = std::make_unique<Lane>();
        lane->hook_id = h->id();
      }
      lane->items.emplace_back(key, WebhookDelivery{h->url(), h->secret(), w.body,
                                                    w.idempotency_key});
      ++w.in_flight;
    }
  }
  for (auto& [id, lane] : starting) {
    Lane* l = lane.get();
    l->thread = std::thread([this, l] {
      const absl::Time start = absl::Now();
      for (const auto& [key, delivery] : l->items) {
        if (absl::Now() - start > options_.lane_budget) break;
        WebhookOutcome outcome = sender_.Deliver(delivery, 1);
        const bool failed_for_now = !outcome.delivered && !outcome.final;
        l->results.emplace_back(key, std::move(outcome));
        if (failed_for_now) break;  // parked: the rest of its deliveries wait
      }
      l->done.store(true);
    });
    lanes_.emplace(id, std::move(lane));
    ++progressed;
  }
  if (wait_for_lanes_) {
    if (absl::Status s = Collect(true); !s.ok()) return s;
  }

  // Entries whose webhooks are all settled are finished: the state, the
  // acknowledgement and the progress go together.
  const absl::Time after = clock.Now();
  for (auto it = work_.begin(); it != work_.end();) {
    Work& w = it->second;
    if (w.in_flight > 0) {
      ++it;
      continue;
    }
    std::vector<std::string> failures;
    int attempts = 0;
    bool waiting = false;
    for (const v1::Webhook* h : targets[it->first]) {
      const Progress& p = w.progress[h->id()];
      attempts += p.tries;
      if (p.verdict == "ok") continue;
      if (p.verdict != "fail" && after - w.since < options_.give_up_after) {
        waiting = true;
        continue;
      }
      std::string reason = p.reason.empty() ? "never tried, the receiver kept failing" : p.reason;
      if (p.verdict != "fail") {
        absl::StrAppend(&reason, "; given up after ", absl::FormatDuration(options_.give_up_after));
      }
      absl::StrAppend(&reason, " (", p.tries, p.tries == 1 ? " try" : " tries", ")");
      failures.push_back(absl::StrCat("webhook ", h->id(), ": ", reason));
    }
    if (waiting) {
      ++it;
      continue;
    }
    std::string state;
    if (w.found && !targets[it->first].empty()) {
      const std::string reason = NoBars(absl::StrJoin(failures, "; "));
      if (!failures.empty()) {
        core::LogWarn(absl::StrCat("notification ", w.entry.notification_id, ": ", reason));
      }
      state = absl::StrCat(failures.empty() ? "sent" : "failed", "|", attempts, "|", reason);
    }
    const storage::keys::ReminderShard shard(w.entry.shard);
    absl::StatusOr<storage::RedisReply> done = redis_.Eval(
        storage::scripts::WebhookFinish(),
        {shard.Outbox(), shard.NotificationStates(), ProgressKey(w.entry)},
        {kGroup, w.entry.entry_id, w.entry.notification_id, state});
    if (!done.ok()) return done.status();  // kept; tried again next pass
    ++progressed;
    ++finished_;
    it = work_.erase(it);
  }
  return progressed;
}

absl::StatusOr<int> WebhookWorker::ProcessAvailable() {
  wait_for_lanes_ = true;
  const int before = finished_;
  absl::StatusOr<int> n = loop_.Drain();
  wait_for_lanes_ = false;
  if (!n.ok()) return n.status();
  return finished_ - before;
}

void WebhookWorker::Start() { loop_.Start(options_.block); }

void WebhookWorker::Stop() {
  loop_.Stop();
  // What the lanes were trying stays pending in the outbox: another pass,
  // or another replica after the lease, sends what was not recorded taken.
  for (auto& [id, lane] : lanes_) lane->thread.join();
  lanes_.clear();
}

}  // namespace convene::notification
