#include "core/event_days.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "core/internal/civil_seconds.h"
#include "core/internal/field_error.h"
#include "core/local_date_time.h"
#include "core/zoned_rendering.h"

namespace convene::core {

absl::Time StartOfLocalDay(const Zone& zone, absl::CivilDay day) {
  const absl::CivilSecond midnight(day);
  const LocalTimeInfo info = zone.rules().Lookup(midnight);
  switch (info.kind) {
    case LocalTimeKind::kUnique:
      return internal::InstantOf(midnight, info.offset_before);
    case LocalTimeKind::kGap:
      // No instant shows 00:00; the first one on this day is the jump itself
      // (e.g. 23:30 -> 00:30, or 00:00 -> 01:00).
      return info.transition;
    case LocalTimeKind::kOverlap:
      return internal::InstantOf(midnight, info.offset_before);
  }
  return internal::InstantOf(midnight, info.offset_before);
}

absl::StatusOr<std::vector<EventDay>> SplitIntoLocalDays(
    const Zone& zone, absl::CivilSecond local_start,
    absl::CivilSecond local_end, LocalTimePolicy policy) {
  if (local_end <= local_start) {
    return internal::FieldError(
        "end",
        absl::StrCat(FormatLocalDateTime(local_end), " is not after start ",
                     FormatLocalDateTime(local_start)));
  }
  absl::StatusOr<absl::Time> start =
      ToInstant(zone, local_start, policy, "start");
  if (!start.ok()) return start.status();
  absl::StatusOr<absl::Time> end = ToInstant(zone, local_end, policy, "end");
  if (!end.ok()) return end.status();
  if (*end <= *start) {
    // Possible only around a DST change, e.g. start in a gap moved forward
    // past an end just after it.
    return internal::FieldError(
        "end", absl::StrCat(FormatLocalDateTime(local_end), " (",
                            FormatUtcInstant(*end), ") is not after start ",
                            FormatLocalDateTime(local_start), " (",
                            FormatUtcInstant(*start), ") in ", zone.name()));
  }

  const absl::CivilDay first_day(local_start);
  // [start, end) is half-open: an end at 00:00 closes the previous day.
  const absl::CivilDay last_day = absl::CivilDay(local_end - 1);
  if (last_day - first_day >= kMaxEventDays) {
    return internal::FieldError(
        "end",
        absl::StrCat("the event covers ", last_day - first_day + 1,
                     " local days; at most ", kMaxEventDays, " are allowed"));
  }

  std::vector<EventDay> days;
  days.reserve(static_cast<size_t>(last_day - first_day + 1));
  for (absl::CivilDay day = first_day; day <= last_day; ++day) {
    const absl::CivilSecond day_begin(day);
    const absl::CivilSecond day_end(day + 1);
    EventDay out;
    out.date = day;
    out.local_start = day == first_day ? local_start : day_begin;
    out.local_end = day == last_day ? local_end : day_end;
    out.start = day == first_day ? *start : StartOfLocalDay(zone, day);
    out.end = day == last_day ? *end : StartOfLocalDay(zone, day + 1);
    // A bound the policy moved across midnight (a gap straddling it, or a
    // date skipped whole) lands inside another day: that day starts or ends
    // with the event, never outside it.
    if (out.start < *start) {
      out.start = *start;
      out.local_start = ToZoned(zone, *start).local;
    }
    if (out.end > *end) {
      out.end = *end;
      out.local_end = ToZoned(zone, *end).local;
    }
    // A date the zone skipped whole (Samoa's 2011-12-30) has no wall-clock
    // time, so nobody can attend or be reminded on it.
    if (out.end <= out.start) continue;
    days.push_back(std::move(out));
  }
  return days;
}

}  // namespace convene::core
