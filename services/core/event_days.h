// Splits a multi-day event, given as local start and end in one zone, into
// its local calendar days, each with its wall-clock bounds and the instants
// of those bounds. A day on which clocks change lasts 23 or 25 hours.
//
//   // CoP1 workshop in Thessaloniki, 2022-03-15 09:00 to 2022-03-17 18:00:
//   absl::StatusOr<std::vector<EventDay>> days = SplitIntoLocalDays(
//       *athens, absl::CivilSecond(2022, 3, 15, 9, 0, 0),
//       absl::CivilSecond(2022, 3, 17, 18, 0, 0));
//   // 3 days: 15th 09:00-24:00, 16th 00:00-24:00, 17th 00:00-18:00 (local).
//   (*days)[0].start;  // 2022-03-15T07:00Z

#ifndef CONVENE_SERVICES_CORE_EVENT_DAYS_H_
#define CONVENE_SERVICES_CORE_EVENT_DAYS_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/local_time_resolution.h"
#include "core/zone.h"

namespace convene::core {

// The most days SplitIntoLocalDays() will produce: a bound on the work and
// memory a single request can cause.
inline constexpr int kMaxEventDays = 366;

// The part of an event that falls on one local calendar day, as the
// half-open ranges [local_start, local_end) and [start, end).
struct EventDay {
  absl::CivilDay date;
  // The later of the event's start and the day's 00:00.
  absl::CivilSecond local_start;
  // The earlier of the event's end and the next day's 00:00 (so a day the
  // event runs through ends at date + 1, 00:00).
  absl::CivilSecond local_end;
  absl::Time start;  // the instant of local_start
  absl::Time end;    // the instant of local_end; end - start is 23h or 25h
                     // for a whole day with a DST change
};

// The local days of the event from `local_start` to `local_end` in `zone`,
// in order. An event ending at 00:00 exactly does not get an empty last day,
// and a date the zone skipped whole (no wall-clock time of it existed, as
// 2011-12-30 in Pacific/Apia) is no day of the event.
// The event's own bounds are resolved with `policy`; a day that begins inside
// a gap begins when the clocks jump, one that begins in an overlap at its
// first occurrence. No day reaches outside the resolved bounds: a start the
// policy moved past its own date (a gap straddling midnight, a skipped date)
// starts the next day at that instant, not at its 00:00. Returns INVALID_ARGUMENT naming "start" or "end" if a
// bound cannot be resolved, if `local_end` is not after `local_start` (or
// resolves to an instant that is not), or if the event covers more than
// kMaxEventDays days.
absl::StatusOr<std::vector<EventDay>> SplitIntoLocalDays(
    const Zone& zone, absl::CivilSecond local_start,
    absl::CivilSecond local_end,
    LocalTimePolicy policy = LocalTimePolicy::kReject);

// The first instant of local day `day` in `zone`: 00:00, or the end of the
// gap if 00:00 is skipped, or the first of two 00:00s. `day` should be in the
// years 0001..9999.
absl::Time StartOfLocalDay(const Zone& zone, absl::CivilDay day);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_EVENT_DAYS_H_
