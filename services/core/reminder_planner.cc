#include "core/reminder_planner.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/day_hours.h"
#include "core/event_days.h"
#include "core/iso_duration.h"
#include "core/local_date_time.h"
#include "core/local_time_resolution.h"

namespace convene::core {
namespace {

// The event's local days: attendance's (registrations are made for them),
// so a date the zone skipped is none. A prepared event always splits.
std::vector<absl::CivilDay> EventDates(const Event& event, const Zone& zone) {
  std::vector<absl::CivilDay> dates;
  absl::StatusOr<std::vector<EventDay>> days =
      SplitIntoLocalDays(zone, event.start_local, event.end_local, event.local_time_policy);
  if (!days.ok()) return dates;
  for (const EventDay& d : *days) dates.push_back(d.date);
  return dates;
}

}  // namespace

// The registration's days on the event's current dates. A copy read before
// attendance's entry for a move still has the old dates: when it has as
// many days as the event, day i is the event's day i now. Attendance
// cancels every day on a date the event no longer has, so a copy whose days
// off the event's dates are all cancelled is already where attendance put
// it (a day left cancelled on a lost date, with as many days as the event,
// is no old copy: mapping it would shift every day held by one).
std::vector<RegistrationDay> DaysOnEventDates(const Event& event, const Zone& zone,
                                              const Registration& registration) {
  const std::vector<absl::CivilDay> dates = EventDates(event, zone);
  std::vector<RegistrationDay> days;
  bool live_off_dates = false;
  for (const RegistrationDay& d : registration.days) {
    if (std::binary_search(dates.begin(), dates.end(), d.date)) {
      days.push_back(d);
    } else if (d.status != RegistrationStatus::kCancelled) {
      live_off_dates = true;
    }
  }
  if (live_off_dates && registration.days.size() == dates.size()) {
    days = registration.days;
    for (size_t i = 0; i < days.size(); ++i) days[i].date = dates[i];
  }
  return days;
}

std::vector<PlannedReminder> PlanReminders(const Event& event,
                                           const Zone& zone,
                                           const Registration& registration,
                                           const ReminderPolicy& policy,
                                           absl::Time now) {
  std::vector<PlannedReminder> plan;
  if (event.status == EventStatus::kCancelled) return plan;
  const std::vector<RegistrationDay> days = DaysOnEventDates(event, zone, registration);
  const RegistrationDay* first = nullptr;
  for (const RegistrationDay& d : days) {
    if (d.status == RegistrationStatus::kConfirmed &&
        (first == nullptr || d.date < first->date)) {
      first = &d;
    }
  }
  if (first == nullptr) return plan;

  auto add = [&](ReminderKind kind, absl::Duration offset,
                 const RegistrationDay& day, absl::Time starts) {
    const absl::Time due = starts - offset;
    if (due <= now) return;
    PlannedReminder r;
    r.kind = kind;
    r.offset = offset;
    r.day = day.date;
    r.mode = day.mode;
    r.starts = starts;
    r.due = due;
    if (const Session* s = FirstSessionOn(event, day.date, day.mode)) {
      r.session_id = s->id;
      r.session_title = s->title;
    }
    r.reminder_id =
        kind == ReminderKind::kBeforeEvent
            ? absl::StrCat("event-", FormatIsoDuration(offset))
            : absl::StrCat("day-", FormatLocalDate(day.date), "-",
                           FormatIsoDuration(offset));
    plan.push_back(std::move(r));
  };

  const bool first_is_opening = OpensOn(event, zone, first->date);
  const absl::Time opening =
      first_is_opening ? event.start : DayStart(event, zone, first->date, first->mode);
  for (absl::Duration offset : policy.before_event) {
    add(ReminderKind::kBeforeEvent, offset, *first, opening);
  }
  for (const RegistrationDay& d : days) {
    if (d.status != RegistrationStatus::kConfirmed) continue;
    const absl::Time starts = DayStart(event, zone, d.date, d.mode);
    for (absl::Duration offset : policy.before_each_day) {
      const absl::Time due = starts - offset;
      const bool repeats_event_reminder =
          d.date == first->date &&
          std::any_of(plan.begin(), plan.end(), [&](const PlannedReminder& r) {
            return r.kind == ReminderKind::kBeforeEvent && r.due == due;
          });
      if (!repeats_event_reminder) {
        add(ReminderKind::kBeforeDay, offset, d, starts);
      }
    }
  }
  std::sort(plan.begin(), plan.end(),
            [](const PlannedReminder& a, const PlannedReminder& b) {
              return std::tie(a.due, a.reminder_id) <
                     std::tie(b.due, b.reminder_id);
            });
  return plan;
}

std::optional<PlannedReminder> PlanCancellationNotice(
    const Event& event, const Zone& zone, const Registration& registration,
    absl::Time now) {
  if (event.end <= now) return std::nullopt;
  // The days on the event's dates name the right one; should none be left
  // there (a copy not yet moved with its event), the notice still goes.
  const std::vector<RegistrationDay> moved = DaysOnEventDates(event, zone, registration);
  const RegistrationDay* first = nullptr;
  for (const std::vector<RegistrationDay>* days : {&moved, &registration.days}) {
    for (const RegistrationDay& d : *days) {
      if (d.status != RegistrationStatus::kCancelled &&
          (first == nullptr || d.date < first->date)) {
        first = &d;
      }
    }
    if (first != nullptr) break;
  }
  if (first == nullptr) return std::nullopt;
  PlannedReminder r;
  r.reminder_id = "cancelled";
  r.kind = ReminderKind::kCancellation;
  r.offset = absl::ZeroDuration();
  r.day = first->date;
  r.mode = first->mode;
  r.starts = first->date == absl::CivilDay(event.start_local)
                 ? event.start
                 : DayStart(event, zone, first->date, first->mode);
  r.due = now;
  return r;
}

}  // namespace convene::core
