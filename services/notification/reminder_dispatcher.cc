#include "notification/reminder_dispatcher.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "convene/v1/notification.pb.h"
#include "core/blocking_call.h"
#include "core/log.h"
#include "notification/store_call.h"
#include "rpc/proto_time.h"
#include "storage/owner_token.h"

namespace convene::notification {

ReminderDispatcher::ReminderDispatcher(storage::ReminderStore& store,
                                       const core::Clock& clock,
                                       DispatcherOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = storage::MakeOwnerToken();
  if (options_.batch <= 0 || options_.batch > kMaxDispatchBatch) options_.batch = 1000;
}

ReminderDispatcher::~ReminderDispatcher() { Stop(); }

absl::StatusOr<DispatchRun> ReminderDispatcher::RunBatch(int shard, int max) {
  const absl::Time now = clock_.Now();
  absl::StatusOr<std::vector<storage::ClaimedReminder>> claimed =
      core::BlockingCall<std::vector<storage::ClaimedReminder>>([&](auto done) {
        store_.Claim(shard, options_.owner, now, options_.lease, max, std::move(done));
      }, kStoreCallTimeout);
  if (!claimed.ok()) return claimed.status();
  DispatchRun run;
  if (claimed->empty()) return run;
  if (options_.hold_after_claim > absl::ZeroDuration()) {
    absl::SleepFor(options_.hold_after_claim);
  }
  std::vector<storage::DeliveredReminder> delivered;
  delivered.reserve(claimed->size());
  const absl::Time created = clock_.Now();
  for (storage::ClaimedReminder& c : *claimed) {
    v1::Notification n;
    if (!n.ParseFromString(c.record)) {
      // Unreadable: complete it as it is rather than claim it again forever;
      // ListNotifications shows it.
      core::LogError(absl::StrCat("reminder ", c.key, ": record is not readable"));
      std::vector<std::string> ids = absl::StrSplit(c.key, '/');
      if (ids.size() == 3) {
        delivered.push_back({c.key, c.key, ids[0], ids[1], std::move(c.record)});
      }
      ++run.failed;
      continue;
    }
    n.set_notification_id(n.idempotency_key());
    *n.mutable_create_time() = rpc::TimeToProto(created);
    // What a lifecycle notice tells is kept as told, not shown to anyone.
    std::string told = std::move(*n.mutable_notice_state());
    n.clear_notice_state();
    if (options_.log_sink) {
      core::LogInfo(absl::StrCat("notification ", n.notification_id(), " (",
                                 n.language(), ", ", n.time_zone(), "): ", n.subject()));
    }
    delivered.push_back({std::move(c.key), n.notification_id(), n.event_id(),
                         n.participant_id(), n.SerializeAsString(), std::move(told)});
  }
  absl::StatusOr<storage::CompleteOutcome> outcome =
      core::BlockingCall<storage::CompleteOutcome>([&](auto done) {
        store_.Complete(shard, options_.owner, created, std::move(delivered), std::move(done));
      }, kStoreCallTimeout);
  if (!outcome.ok()) return outcome.status();
  run.dispatched = outcome->completed;
  return run;
}

absl::StatusOr<DispatchRun> ReminderDispatcher::RunDue(int max) {
  DispatchRun total;
  for (int shard = 0; shard < store_.shards(); ++shard) {
    while (total.dispatched + total.failed < max) {
      const int want = std::min(options_.batch, max - total.dispatched - total.failed);
      absl::StatusOr<DispatchRun> run = RunBatch(shard, want);
      if (!run.ok()) return run.status();
      total.dispatched += run->dispatched;
      total.failed += run->failed;
      if (run->dispatched + run->failed < want) break;
    }
  }
  absl::StatusOr<int64_t> remaining = core::BlockingCall<int64_t>(
      [&](auto done) { store_.CountDue(clock_.Now(), std::move(done)); }, kStoreCallTimeout);
  if (!remaining.ok()) return remaining.status();
  total.remaining_due = *remaining;
  return total;
}

void ReminderDispatcher::Loop(int shard) {
  while (!stop_.HasBeenNotified()) {
    absl::StatusOr<DispatchRun> run = RunBatch(shard, options_.batch);
    if (!run.ok()) {
      // Redis (or this shard's node) away: the client reconnects by itself;
      // try again shortly.
      clock_.WaitFor(absl::Seconds(1), stop_);
      continue;
    }
    if (run->dispatched + run->failed < options_.batch) clock_.WaitFor(options_.poll, stop_);
  }
}

void ReminderDispatcher::Start() {
  for (int shard = 0; shard < store_.shards(); ++shard) {
    threads_.emplace_back([this, shard] { Loop(shard); });
  }
}

void ReminderDispatcher::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace convene::notification
