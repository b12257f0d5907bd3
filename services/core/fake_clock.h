// FakeClock: a Clock for tests that moves only when told to.
//
//   FakeClock clock(absl::FromCivil(absl::CivilSecond(2022, 3, 15, 7, 0, 0),
//                                   absl::UTCTimeZone()));
//   ReminderPlanner planner(clock);
//   clock.Advance(absl::Minutes(15));

#ifndef CONVENE_SERVICES_CORE_FAKE_CLOCK_H_
#define CONVENE_SERVICES_CORE_FAKE_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/clock.h"

namespace convene::core {

// A thread-safe Clock whose time is set by the test.
class FakeClock final : public Clock {
 public:
  // Starts at the Unix epoch.
  FakeClock() = default;
  // Starts at `now`.
  explicit FakeClock(absl::Time now) : now_(now) {}

  // The time last set or advanced to.
  absl::Time Now() const override ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return now_;
  }

  // Moves the clock to `now` (also backwards).
  void SetNow(absl::Time now) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    now_ = now;
    moved_.SignalAll();
  }

  // Moves the clock by `delta`.
  void Advance(absl::Duration delta) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    now_ += delta;
    moved_.SignalAll();
  }

  // Returns once the test has moved the clock `d` past the call (or `stop`
  // is notified, which is checked every few real milliseconds).
  bool WaitFor(absl::Duration d, absl::Notification& stop) const override
      ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    const absl::Time until = now_ + d;
    while (now_ < until && !stop.HasBeenNotified()) {
      moved_.WaitWithTimeout(&mu_, absl::Milliseconds(5));
    }
    return stop.HasBeenNotified();
  }

 private:
  mutable absl::Mutex mu_;
  mutable absl::CondVar moved_;
  absl::Time now_ ABSL_GUARDED_BY(mu_) = absl::UnixEpoch();
};

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_FAKE_CLOCK_H_
