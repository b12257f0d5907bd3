#include "core/day_hours.h"

#include <algorithm>
#include <vector>

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

}  // namespace

bool OpensOn(const Event& event, const Zone& zone, absl::CivilDay day) {
  return day == absl::CivilDay(event.start_local) ||
         day == absl::CivilDay(ToZoned(zone, event.start).local);
}

const Session* FirstSessionOn(const Event& event, absl::CivilDay day,
                              std::optional<AttendanceMode> mode) {
  const Session* first = nullptr;
  for (const Session* s : SessionsOn(event, day, mode)) {
    if (first == nullptr || s->start < first->start) first = s;
  }
  return first;
}

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

}  // namespace convene::core
