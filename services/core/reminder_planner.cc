#include "core/reminder_planner.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "core/event_days.h"
#include "core/iso_duration.h"
#include "core/local_date_time.h"
#include "core/local_time_resolution.h"
#include "core/zoned_rendering.h"

namespace convene::core {
namespace {

bool Offers(const Event& event, const Session& s, AttendanceMode mode) {
  const EventFormat format = EffectiveFormat(event, s);
  return mode == AttendanceMode::kOnline ? OffersOnline(format) : OffersInPerson(format);
}

// The sessions starting on `day` (venue-local) that a participant in `mode`
// can attend (any mode: all of them); all of them when none offers the
// mode, so that a day is never left without a time.
std::vector<const Session*> SessionsOn(const Event& event, absl::CivilDay day,
                                       std::optional<AttendanceMode> mode) {
  std::vector<const Session*> on, in_mode;
  for (const Session& s : event.sessions) {
    if (absl::CivilDay(s.start_local) != day) continue;
    on.push_back(&s);
    if (mode && Offers(event, s, *mode)) in_mode.push_back(&s);
  }
  return mode && !in_mode.empty() ? in_mode : on;
}

// The first of those sessions, if any.
const Session* FirstSessionOn(const Event& event, absl::CivilDay day,
                              std::optional<AttendanceMode> mode = std::nullopt) {
  const Session* first = nullptr;
  for (const Session* s : SessionsOn(event, day, mode)) {
    if (first == nullptr || s->start < first->start) first = s;
  }
  return first;
}

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

// The registration's days on the event's current dates. An event moved to
// other dates keeps registrations made for the old ones: when every old day
// was registered for, day i is the event's day i now; otherwise only the
// days that are still the event's can be reminded of.
std::vector<RegistrationDay> DaysOnEventDates(const Event& event, const Zone& zone,
                                              const Registration& registration) {
  const std::vector<absl::CivilDay> dates = EventDates(event, zone);
  std::vector<RegistrationDay> days;
  bool all_current = true;
  for (const RegistrationDay& d : registration.days) {
    if (std::binary_search(dates.begin(), dates.end(), d.date)) {
      days.push_back(d);
    } else {
      all_current = false;
    }
  }
  if (!all_current && registration.days.size() == dates.size()) {
    days = registration.days;
    for (size_t i = 0; i < days.size(); ++i) days[i].date = dates[i];
  }
  return days;
}

namespace {

// Whether `day` is the one the event opens on: its start's date as typed,
// or the date the clocks showed then, which differs when the local-time
// policy moved a start in a gap across midnight.
bool OpensOn(const Event& event, const Zone& zone, absl::CivilDay day) {
  return day == absl::CivilDay(event.start_local) ||
         day == absl::CivilDay(ToZoned(zone, event.start).local);
}

}  // namespace

absl::Time DayStart(const Event& event, const Zone& zone, absl::CivilDay day,
                    std::optional<AttendanceMode> mode) {
  if (const Session* s = FirstSessionOn(event, day, mode)) return s->start;
  if (OpensOn(event, zone, day)) return event.start;
  // A day without sessions begins at the event's opening hour. That hour is
  // derived here, not chosen by anyone, so a DST gap is read as RFC 5545
  // reads it rather than refused.
  const absl::CivilSecond local(day.year(), day.month(), day.day(),
                                event.start_local.hour(),
                                event.start_local.minute(),
                                event.start_local.second());
  absl::StatusOr<absl::Time> at =
      ToInstant(zone, local, LocalTimePolicy::kRfc5545);
  if (at.ok() && *at < event.end) return *at;
  // The opening hour falls after the event's end on its last day (an event
  // running overnight): that day is the part of it after midnight.
  absl::StatusOr<absl::Time> midnight =
      ToInstant(zone, absl::CivilSecond(day), LocalTimePolicy::kRfc5545);
  return midnight.ok() ? std::max(*midnight, event.start) : event.start;
}

absl::Time DayEnd(const Event& event, const Zone& zone, absl::CivilDay day,
                  std::optional<AttendanceMode> mode) {
  const absl::Time starts = DayStart(event, zone, day, mode);
  std::optional<absl::Time> last;
  for (const Session* s : SessionsOn(event, day, mode)) {
    if (!last || s->end > *last) last = s->end;
  }
  if (last) return std::max(*last, starts);
  if (day == absl::CivilDay(event.end_local)) return std::max(event.end, starts);
  // A day without sessions closes at the event's closing hour, read as
  // DayStart reads its opening hour; a closing hour before the opening one
  // (an event running overnight) leaves the day to its midnight.
  const absl::CivilSecond local(day.year(), day.month(), day.day(), event.end_local.hour(),
                                event.end_local.minute(), event.end_local.second());
  absl::StatusOr<absl::Time> at = ToInstant(zone, local, LocalTimePolicy::kRfc5545);
  if (at.ok() && *at > starts) return *at;
  absl::StatusOr<absl::Time> midnight =
      ToInstant(zone, absl::CivilSecond(day + 1), LocalTimePolicy::kRfc5545);
  return midnight.ok() ? std::max(*midnight, starts) : std::max(event.end, starts);
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
