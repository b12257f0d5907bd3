// ReminderDispatcher: sends what is due. Claims due reminders in batches
// under a lease (so replicas never take the same one), hands each to the log
// sink if enabled, and completes them into the outbox stream that
// SubscribeNotifications and the webhook worker read. Each reminder shard is
// dispatched by a thread of its own, so a shard whose Redis node is down or
// slow holds up no other. A dispatcher that dies
// between claim and completion loses nothing: once its lease expires the
// next claim by any replica takes those reminders again, and completion is
// once per notification id, so none is sent twice.
//
//   ReminderDispatcher dispatcher(store, clock, {.owner = "host-1:4242"});
//   absl::StatusOr<DispatchRun> run = dispatcher.RunDue(10000);  // --once
//   dispatcher.Start();  // or keep dispatching in the background
#ifndef CONVENE_NOTIFICATION_REMINDER_DISPATCHER_H_
#define CONVENE_NOTIFICATION_REMINDER_DISPATCHER_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "notification/reminder_store.h"

namespace convene::notification {

struct DispatcherOptions {
  // Unique per process: leases are held in its name. Empty: made from the
  // host name, the pid and a random number.
  std::string owner;
  // Reminders per claim, 1-kMaxBatch (0 or out of range: 1000).
  int batch = 1000;
  absl::Duration lease = absl::Seconds(30);
  // How often the background loop looks for due reminders when idle.
  absl::Duration poll = absl::Milliseconds(100);
  // Log one line per notification (the log sink, for local use).
  bool log_sink = false;
  // Drills only: wait this long between claiming a batch and completing it,
  // so a test can kill the process with reminders claimed.
  absl::Duration hold_after_claim = absl::ZeroDuration();
};

// The largest batch: one claim and one completion each run as one script,
// and Redis serves nothing else meanwhile.
inline constexpr int kMaxDispatchBatch = 5000;

struct DispatchRun {
  int dispatched = 0;
  int failed = 0;
  int64_t remaining_due = 0;
};

class ReminderDispatcher {
 public:
  ReminderDispatcher(storage::ReminderStore& store, const core::Clock& clock,
                     DispatcherOptions options);
  // Stop().
  ~ReminderDispatcher();

  // Dispatches what is due now, at most `max` reminders, and returns. Blocking.
  absl::StatusOr<DispatchRun> RunDue(int max);

  // Dispatches continuously on a thread of its own until Stop().
  void Start();
  void Stop();

  const std::string& owner() const { return options_.owner; }

 private:
  // One claim + completion in `shard`; how many were dispatched.
  absl::StatusOr<DispatchRun> RunBatch(int shard, int max);
  // Dispatches `shard` until Stop().
  void Loop(int shard);

  storage::ReminderStore& store_;
  const core::Clock& clock_;
  DispatcherOptions options_;
  absl::Notification stop_;
  std::vector<std::thread> threads_;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_REMINDER_DISPATCHER_H_
