// Clock: where code gets "now", so that tests can supply a fake one
// (fake_clock.h) instead of reading the real time.
//
//   class ReminderPlanner {
//    public:
//     explicit ReminderPlanner(const Clock& clock) : clock_(clock) {}
//     bool IsDue(absl::Time at) const { return at <= clock_.Now(); }
//    private:
//     const Clock& clock_;
//   };
//   SystemClock clock;
//   ReminderPlanner planner(clock);

#ifndef CONVENE_SERVICES_CORE_CLOCK_H_
#define CONVENE_SERVICES_CORE_CLOCK_H_

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace convene::core {

// A source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;

  // The current instant.
  virtual absl::Time Now() const = 0;

  // Waits until `d` has passed on this clock, or until `stop` is notified;
  // true when stopped. Background loops (dispatcher, followers) wait with
  // it between rounds, so that under a FakeClock they move only when the
  // test moves time, with no real sleeps.
  virtual bool WaitFor(absl::Duration d, absl::Notification& stop) const = 0;
};

// The real time (absl::Now()).
class SystemClock final : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
  bool WaitFor(absl::Duration d, absl::Notification& stop) const override {
    return stop.WaitForNotificationWithTimeout(d);
  }
};

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_CLOCK_H_
