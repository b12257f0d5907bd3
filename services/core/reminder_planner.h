// PlanReminders(): the reminders one registration gets, from the event, the
// registration's confirmed days and the event's policy, as due instants.
// (The notification service's reminder_replanner.h keeps the stored plans in
// step with the streams by calling it.)
//
//   std::vector<PlannedReminder> plan =
//       PlanReminders(event, zone, registration, policy, clock.Now());
//   // A 3-day Thessaloniki workshop (09:30 local each day), registered
//   // for in person 10 days before, default policy: 7d/1d/1h before the
//   // event and 1h before days 2 and 3 (day 1's would repeat the event's).
//
// Local wall-clock time plus zone is the truth: every instant here comes
// from the event's derived instants or from its local times resolved in its
// zone, so a reminder 1 day before a session that follows the last Sunday of
// March is 24 real hours before it, whatever the clocks did. A reminder whose
// due instant is not after `now` is not planned (it would arrive late).
#ifndef CONVENE_CORE_REMINDER_PLANNER_H_
#define CONVENE_CORE_REMINDER_PLANNER_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "core/registration.h"
#include "core/reminder_policy.h"
#include "core/zone.h"

namespace convene::core {

enum class ReminderKind { kBeforeEvent, kBeforeDay, kCancellation };

struct PlannedReminder {
  // Stable for (event, participant, kind, offset, day), so re-planning the
  // same registration names the same reminders: "event-P7D",
  // "day-2022-03-16-PT1H", "cancelled".
  std::string reminder_id;
  ReminderKind kind = ReminderKind::kBeforeEvent;
  absl::Duration offset;
  // The venue-local day it is about, and the participant's mode that day.
  absl::CivilDay day;
  AttendanceMode mode = AttendanceMode::kInPerson;
  // What it reminds of: the day's first session (empty id: none) or, for
  // the first day without sessions, the event's start.
  std::string session_id;
  std::string session_title;
  absl::Time starts;
  absl::Time due;
};

// The reminders of `registration` for `event` (prepared, in `zone`): only
// confirmed days are reminded of; before-event reminders are about the
// participant's first confirmed day; a day reminder due at the same instant
// as a before-event one is left out. Empty for a cancelled event. Ordered by
// due instant, then id. Registered days that are no longer the event's
// are read as DaysOnEventDates says.
std::vector<PlannedReminder> PlanReminders(const Event& event,
                                           const Zone& zone,
                                           const Registration& registration,
                                           const ReminderPolicy& policy,
                                           absl::Time now);

// The one cancellation notice of a cancelled event for `registration`, due
// `now`; nullopt when the event had already ended or the registration has no
// day left that is not cancelled.
std::optional<PlannedReminder> PlanCancellationNotice(
    const Event& event, const Zone& zone, const Registration& registration,
    absl::Time now);

// The registration's days on the event's current dates: a copy not yet
// moved with its event (a day not cancelled on a date the event no longer
// has), with as many days as the event, is read day i on the event's day i
// (as attendance moves it); otherwise only the days that are still the
// event's are kept.
std::vector<RegistrationDay> DaysOnEventDates(const Event& event, const Zone& zone,
                                              const Registration& registration);

}  // namespace convene::core

#endif  // CONVENE_CORE_REMINDER_PLANNER_H_
