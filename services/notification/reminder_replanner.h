// ReminderReplanner: keeps the planned, rendered reminders in the
// ReminderStore in step with the event and the registration (notification's
// own copies of them, taken from the calendar's and attendance's streams)
// and the event's reminder policy, re-planning one
// registration or a whole event after each change. When each reminder is
// due is core's (core/reminder_planner.h); storing and rendering is this.
//
//   ReminderReplanner replanner(events, registrations, reminders, clock);
//   absl::StatusOr<int> planned = replanner.PlanRegistration("ev_1", "torino-1");
//
// Planning replaces what was planned for the registration before, so doing
// it twice is harmless: that is what lets the change follower process a
// change at least once rather than exactly once. Blocking: call from worker
// threads only (never a gRPC callback or a Redis loop thread).
#ifndef CONVENE_NOTIFICATION_REMINDER_REPLANNER_H_
#define CONVENE_NOTIFICATION_REMINDER_REPLANNER_H_

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convene/v1/notification.pb.h"
#include "core/clock.h"
#include "core/registration.h"
#include "core/reminder_planner.h"
#include "core/reminder_policy.h"
#include "notification/event_reader.h"
#include "notification/registration_copies.h"
#include "notification/reminder_store.h"

namespace convene::notification {

class ReminderReplanner {
 public:
  // All must outlive the replanner.
  // `notice_delay`: how long a lifecycle notice waits before it is sent, so
  // that a change undone meanwhile sends none and a burst of changes sends
  // one; absl::InfiniteDuration(): no lifecycle notices.
  ReminderReplanner(EventReader& events, RegistrationCopies& registrations,
                    storage::ReminderStore& reminders, const core::Clock& clock,
                    absl::Duration notice_delay = absl::Seconds(10))
      : events_(events),
        registrations_(registrations),
        reminders_(reminders),
        clock_(clock),
        notices_(notice_delay != absl::InfiniteDuration()),
        notice_delay_(std::max(notice_delay, absl::Seconds(1))) {}

  // Re-plans one registration after a change of it: its reminders, or the
  // cancellation notice when the event is cancelled, or nothing
  // (cancelled); and the lifecycle notice it is owed (core/notice.h), if
  // any. Returns how many are planned now. A registration with no copy
  // (made before notification kept copies, and not filled by
  // `convene-admin resheet` yet) keeps what was planned for it: 0.
  absl::StatusOr<int> PlanRegistration(const std::string& event_id,
                                       const std::string& participant_id);
  // The same for several registrations of one event, reading the event and
  // its policy once and planning several registrations at once (the change
  // follower's batches hold hundreds of registrations of a popular event;
  // each registration's plan is its own keys). Returns how many are planned
  // in all; NotFound when the event is unknown.
  absl::StatusOr<int> PlanRegistrations(const std::string& event_id,
                                        const std::vector<std::string>& participant_ids);

  // The same for every registration of the event, after a change of the
  // event. A registration never told anything before (one made before
  // lifecycle notices existed) is not announced now: what it is becomes
  // what it was told.
  absl::StatusOr<int> PlanEvent(const std::string& event_id);

  // A registration made now is owed its first notice. Marked before its
  // copy is written: whichever re-plan sees the copy first, its own or its
  // event's (a policy set or an edit racing with the registration), then
  // plans that notice instead of taking the registration for one made
  // before lifecycle notices existed.
  absl::Status MarkAnnounced(const std::string& event_id, const std::string& participant_id);

  // The event's policy, or the default one.
  absl::StatusOr<core::ReminderPolicy> Policy(const std::string& event_id);

  // Erases what notification holds of a participant attendance forgot
  // (their PARTICIPANT_FORGOTTEN entry): pending reminders of `event_id`
  // ("" for every event) and the texts of their notifications.
  absl::StatusOr<storage::ReminderStore::Erased> Forget(const std::string& event_id,
                                                        const std::string& participant_id);

 private:
  absl::StatusOr<int> Plan(const core::Event& event,
                           const core::ReminderPolicy& policy,
                           const core::Registration& registration, bool announce_new);
  // The lifecycle notice `registration` is owed now, rendered (with what it
  // tells in notice_state), or nullopt.
  absl::StatusOr<std::optional<storage::PendingReminder>> Notice(
      const core::Event& event, const core::Zone& zone, const core::ReminderPolicy& policy,
      const core::Registration& registration, bool announce_new);

  EventReader& events_;
  RegistrationCopies& registrations_;
  storage::ReminderStore& reminders_;
  const core::Clock& clock_;
  const bool notices_;
  const absl::Duration notice_delay_;
};

// A registration notice kind on the wire, and back (nullopt: not one).
v1::NotificationKind NoticeKindToProto(core::NoticeKind kind);
std::optional<core::NoticeKind> NoticeKindFromProto(int kind);

// The rendered notification for one planned reminder (no notification id
// or creation time yet: those are the dispatcher's).
v1::Notification RenderPlannedReminder(const core::Event& event,
                                       const core::Registration& registration,
                                       const core::PlannedReminder& reminder);

// Policy <-> its wire form (also how it is stored).
v1::ReminderPolicy PolicyToProto(const core::ReminderPolicy& policy);
core::ReminderPolicy PolicyFromProto(const v1::ReminderPolicy& wire);
// The event's policy from what the store holds (nullopt: the default one).
absl::StatusOr<core::ReminderPolicy> PolicyFromStored(const std::string& event_id,
                                                      const std::optional<std::string>& stored);

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_REMINDER_REPLANNER_H_
