// ChangeFollower: keeps reminders in step with the calendar and attendance
// by reading their change streams (never by polling the services):
//
//   calendar "created"/"updated"/"cancelled"  -> keep the event's copy
//                                                (event_reader.h), then
//                                                re-plan every registration
//                                                of the event (moved
//                                                reminders, or the
//                                                cancellation notice)
//   attendance registration_*                 -> keep the registration's
//                                                copy (registration_copies.h),
//                                                then re-plan it
//   attendance participant_forgotten          -> erase the participant's
//                                                copy, reminders and
//                                                notification texts for
//                                                that event
//
// One replica at a time follows (a lease in Redis, renewed while it works;
// another takes over when it lapses), from positions saved in Redis after
// each batch. A batch cut short by a crash is processed again, which is
// harmless: planning replaces what was planned, and erasing twice erases
// nothing more. Ended events' streams are read too when they have entries
// not processed yet (an erasure request after the event).
//
//   ChangeFollower follower(feed, events, registrations, planning, clock, {});
//   follower.Start();             // in the service
//   follower.ProcessAvailable();  // in a test or a --once run
#ifndef CONVENE_NOTIFICATION_CHANGE_FOLLOWER_H_
#define CONVENE_NOTIFICATION_CHANGE_FOLLOWER_H_

#include <map>
#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "notification/event_reader.h"
#include "notification/registration_copies.h"
#include "notification/reminder_replanner.h"
#include "storage/planner_feed.h"
#include "storage/stream_follower.h"

namespace convene::notification {

struct ChangeFollowerOptions {
  // Unique per process (the lease is held in its name).
  std::string owner;
  absl::Duration lease = absl::Seconds(10);
  // How long one read waits for new entries.
  absl::Duration block = absl::Milliseconds(500);
  // How often the set of live events is read again from the calendar.
  absl::Duration refresh = absl::Seconds(60);
  int batch = 500;
};

// Where the reminder planner keeps its lease and positions (in {ntf}).
storage::FollowKeys ReminderPlannerFollowKeys();

class ChangeFollower {
 public:
  // `feed` (built with ReminderPlannerFollowKeys()) must have a connection
  // of its own; all must outlive this.
  ChangeFollower(storage::PlannerFeed& feed, EventReader& events,
                 RegistrationCopies& registrations, ReminderReplanner& planning,
                 const core::Clock& clock, ChangeFollowerOptions options);
  ~ChangeFollower();

  // Processes everything the streams hold now (if this replica leads) and
  // returns how many entries it processed. Blocking.
  absl::StatusOr<int> ProcessAvailable();

  void Start();
  void Stop();

 private:
  // One read (waiting up to `block`) and its processing.
  absl::StatusOr<int> Step(absl::Duration block);

  storage::PlannerFeed& feed_;
  EventReader& events_;
  RegistrationCopies& registrations_;
  ReminderReplanner& planning_;
  ChangeFollowerOptions options_;
  storage::StreamFollower follow_;
  storage::FollowLoop loop_{"reminder planner",
                           [this](absl::Duration block) { return Step(block); }, follow_};
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_CHANGE_FOLLOWER_H_
