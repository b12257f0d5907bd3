// ChangeAppliedWaiter: read-your-writes for calendar changes that attendance
// takes from the calendar's stream. Attendance's sheet follower publishes
// the newest calendar change it has applied (keys::AttendanceSheetsApplied,
// after each batch and once a second while idle); the calendar listens and
// answers UpdateEvent and CancelEvent once that change is applied, so a
// client that raises a capacity and then registers someone is answered by
// the new sheet.
//
//   auto waiter = ChangeAppliedWaiter::Start(redis_options, {});
//   (*waiter)->After(write.change_id, [=] { done(event); });
//
// The wait is bounded (`bound`, 250 ms by default): a follower that is
// slow or stuck delays a write's answer by at most that, and health
// convene.attendance.sheets reports it. When no follower has been heard
// from for `silence` (attendance not deployed, or down), there is no wait.
#ifndef CONVENE_CALENDAR_CHANGE_APPLIED_WAITER_H_
#define CONVENE_CALENDAR_CHANGE_APPLIED_WAITER_H_

#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/redis_client_options.h"
#include "storage/redis_subscriber.h"

namespace convene::calendar {

struct ChangeAppliedWaiterOptions {
  absl::Duration bound = absl::Milliseconds(250);
  absl::Duration silence = absl::Seconds(3);
};

class ChangeAppliedWaiter {
 public:
  static absl::StatusOr<std::unique_ptr<ChangeAppliedWaiter>> Start(
      storage::RedisClientOptions options, ChangeAppliedWaiterOptions waiter_options);
  // Runs every waiting continuation, then stops.
  ~ChangeAppliedWaiter();

  // Runs `then` once attendance has applied calendar change `change_id`
  // (a stream id), after `bound` at the latest, or at once when no follower
  // was heard from within `silence`. `then` runs on this waiter's threads or
  // the caller's: keep it short.
  void After(const std::string& change_id, absl::AnyInvocable<void()> then);

 private:
  explicit ChangeAppliedWaiter(ChangeAppliedWaiterOptions options) : options_(options) {}
  void OnApplied(const std::string& id);
  void ExpireLoop();

  const ChangeAppliedWaiterOptions options_;
  std::unique_ptr<storage::RedisSubscriber> subscriber_;
  absl::Mutex mu_;
  std::string applied_ ABSL_GUARDED_BY(mu_) = "0-0";
  absl::Time heard_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  struct Waiting {
    std::string change_id;
    absl::AnyInvocable<void()> then;
  };
  // By deadline.
  std::multimap<absl::Time, Waiting> waiting_ ABSL_GUARDED_BY(mu_);
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread expirer_;
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CHANGE_APPLIED_WAITER_H_
