#include "core/meeting_times.h"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/event_days.h"
#include "core/internal/civil_seconds.h"
#include "core/internal/field_error.h"
#include "core/local_date_time.h"
#include "core/zone_rules.h"

namespace convene::core {
namespace {

constexpr int kMinutesPerDay = 24 * 60;

// A stretch of time during which a zone's offset does not change.
struct OffsetSegment {
  absl::Time begin;
  absl::Time end;  // exclusive
  absl::Duration offset;
};

// A participant's working hours of one local day as instants, [begin, end).
struct WorkWindow {
  absl::Time begin;
  absl::Time end;
};

// A slot of the grid inside everyone's hours.
struct Candidate {
  absl::Time start;
  int score;
};

std::string HhMm(int minutes) {
  return absl::StrCat(absl::Dec(minutes / 60, absl::kZeroPad2), ":",
                      absl::Dec(minutes % 60, absl::kZeroPad2));
}

int IsoWeekday(absl::CivilDay day) {
  switch (absl::GetWeekday(day)) {
    case absl::Weekday::monday:
      return 1;
    case absl::Weekday::tuesday:
      return 2;
    case absl::Weekday::wednesday:
      return 3;
    case absl::Weekday::thursday:
      return 4;
    case absl::Weekday::friday:
      return 5;
    case absl::Weekday::saturday:
      return 6;
    case absl::Weekday::sunday:
      return 7;
  }
  return 0;
}

absl::Status ValidateParticipant(const MeetingParticipant& p, size_t index) {
  const std::string path = absl::StrCat("participants[", index, "]");
  if (p.name.empty()) {
    return internal::FieldError(absl::StrCat(path, ".name"),
                                "must not be empty");
  }
  if (p.working_start < 0 || p.working_start >= kMinutesPerDay) {
    return internal::FieldError(
        absl::StrCat(path, ".working_start"),
        absl::StrCat(p.working_start,
                     " is not a minute of the day (0 = 00:00 to 1439 = "
                     "23:59)"));
  }
  if (p.working_end < 1 || p.working_end > kMinutesPerDay) {
    return internal::FieldError(
        absl::StrCat(path, ".working_end"),
        absl::StrCat(p.working_end,
                     " is not an end of working hours (1 = 00:01 to "
                     "1440 = 24:00)"));
  }
  if (p.working_end <= p.working_start) {
    return internal::FieldError(
        absl::StrCat(path, ".working_end"),
        absl::StrCat(HhMm(p.working_end), " is not after working_start ",
                     HhMm(p.working_start),
                     "; working hours that cross midnight are not supported"));
  }
  if (p.working_weekdays.empty()) {
    return internal::FieldError(
        absl::StrCat(path, ".working_weekdays"),
        "must name at least one ISO weekday (1 = Monday ... 7 = Sunday)");
  }
  for (int weekday : p.working_weekdays) {
    if (weekday < 1 || weekday > 7) {
      return internal::FieldError(
          absl::StrCat(path, ".working_weekdays"),
          absl::StrCat(weekday,
                       " is not an ISO weekday (1 = Monday ... 7 = Sunday)"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateDate(absl::CivilDay date, absl::string_view field) {
  if (date.year() < kMinSupportedYear || date.year() > kMaxSupportedYear) {
    return internal::FieldError(
        field, absl::StrCat("year ", date.year(), " is outside ",
                            kMinSupportedYear, "..", kMaxSupportedYear));
  }
  return absl::OkStatus();
}

absl::Status ValidateRange(const char* field, int value, int min, int max,
                           absl::string_view what) {
  if (value < min || value > max) {
    return internal::FieldError(
        field,
        absl::StrCat(value, " is out of range: ", what, " ", min, " to ", max));
  }
  return absl::OkStatus();
}

absl::Status Validate(const MeetingTimesRequest& request) {
  if (request.participants.empty()) {
    return internal::FieldError("participants",
                                "at least one participant is required");
  }
  if (request.participants.size() > kMaxMeetingParticipants) {
    return internal::FieldError(
        "participants",
        absl::StrCat(request.participants.size(), " participants; at most ",
                     kMaxMeetingParticipants, " are allowed"));
  }
  for (size_t i = 0; i < request.participants.size(); ++i) {
    if (absl::Status s = ValidateParticipant(request.participants[i], i);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = ValidateDate(request.from_date, "from_date"); !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateDate(request.to_date, "to_date"); !s.ok()) {
    return s;
  }
  if (request.to_date < request.from_date) {
    return internal::FieldError(
        "to_date",
        absl::StrCat(FormatLocalDate(request.to_date), " is before from_date ",
                     FormatLocalDate(request.from_date)));
  }
  if (request.to_date - request.from_date >= kMaxMeetingRangeDays) {
    return internal::FieldError(
        "to_date",
        absl::StrCat("the range covers ",
                     request.to_date - request.from_date + 1, " days; at most ",
                     kMaxMeetingRangeDays, " are allowed"));
  }
  if (absl::Status s = ValidateRange(
          "duration_minutes", request.duration_minutes, kMinMeetingMinutes,
          kMaxMeetingMinutes, "a meeting lasts");
      !s.ok()) {
    return s;
  }
  if (absl::Status s = ValidateRange(
          "step_minutes", request.step_minutes, kMinMeetingStepMinutes,
          kMaxMeetingStepMinutes, "slots start every");
      !s.ok()) {
    return s;
  }
  return ValidateRange("max_results", request.max_results, 1,
                       kMaxMeetingResults, "the answer holds");
}

// The offsets of `rules` over [from, to), split where they change.
// ZoneRules has no "next transition" query, so this probes hourly and
// bisects to the second where the offset differs: two changes less than an
// hour apart that cancel out would be missed (the tz database has none in
// the years people schedule meetings in).
std::vector<OffsetSegment> OffsetSegments(const ZoneRules& rules,
                                          absl::Time from, absl::Time to) {
  constexpr absl::Duration kProbe = absl::Hours(1);
  std::vector<OffsetSegment> segments;
  absl::Time begin = from;
  absl::Duration offset = rules.OffsetAt(from).utc_offset;
  absl::Time known = from;  // the offset at `known` is `offset`
  while (known < to) {
    const absl::Time probe = std::min(known + kProbe, to);
    if (rules.OffsetAt(probe).utc_offset == offset) {
      known = probe;
      continue;
    }
    absl::Time lo = known;
    absl::Time hi = probe;
    while (hi - lo > absl::Seconds(1)) {
      const absl::Time mid =
          lo + absl::Seconds(absl::ToInt64Seconds(hi - lo) / 2);
      if (rules.OffsetAt(mid).utc_offset == offset) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    segments.push_back({begin, hi, offset});
    begin = hi;
    known = hi;
    offset = rules.OffsetAt(hi).utc_offset;
  }
  segments.push_back({begin, to, offset});
  return segments;
}

// The instants at which `p`'s wall clock shows their working hours on a
// working day, one window per local day, in order. Each segment maps local
// times to instants with one offset, so a window's local hours that fall in a
// gap get no instants, and after an autumn change the repeated local times
// below working_start are left out (the window then comes in two pieces).
std::vector<WorkWindow> WorkWindows(const MeetingParticipant& p,
                                    std::span<const OffsetSegment> segments) {
  std::vector<WorkWindow> windows;
  absl::CivilDay last_day;  // the local day of windows.back()
  for (const OffsetSegment& segment : segments) {
    const absl::CivilSecond local_begin =
        internal::LocalAt(segment.begin, segment.offset);
    const absl::CivilSecond local_end =
        internal::LocalAt(segment.end, segment.offset);
    if (local_end <= local_begin) continue;
    const absl::CivilDay last = absl::CivilDay(local_end - 1);
    for (absl::CivilDay day(local_begin); day <= last; ++day) {
      if (!p.working_weekdays.contains(IsoWeekday(day))) continue;
      const absl::CivilSecond midnight(day);
      const absl::CivilSecond open =
          std::max(midnight + int64_t{p.working_start} * 60, local_begin);
      const absl::CivilSecond close =
          std::min(midnight + int64_t{p.working_end} * 60, local_end);
      if (open >= close) continue;
      const WorkWindow piece{internal::InstantOf(open, segment.offset),
                             internal::InstantOf(close, segment.offset)};
      // A spring change inside working hours splits the day's window into
      // two segments that still meet: one window.
      if (!windows.empty() && last_day == day &&
          windows.back().end == piece.begin) {
        windows.back().end = piece.end;
      } else {
        windows.push_back(piece);
        last_day = day;
      }
    }
  }
  return windows;
}

// The window of `windows` (sorted, disjoint) that contains [start, end).
const WorkWindow* Containing(std::span<const WorkWindow> windows,
                             absl::Time start, absl::Time end) {
  auto it = std::upper_bound(
      windows.begin(), windows.end(), start,
      [](absl::Time t, const WorkWindow& w) { return t < w.begin; });
  if (it == windows.begin()) return nullptr;
  --it;
  return end <= it->end ? &*it : nullptr;
}

int MarginMinutes(const WorkWindow& window, absl::Time start, absl::Time end) {
  return static_cast<int>(
      absl::ToInt64Minutes(std::min(start - window.begin, window.end - end)));
}

}  // namespace

absl::StatusOr<MeetingTimes> FindMeetingTimes(
    const MeetingTimesRequest& request) {
  if (absl::Status s = Validate(request); !s.ok()) return s;

  const Zone& range_zone = request.range_zone;
  const absl::Duration duration = absl::Minutes(request.duration_minutes);
  const absl::Duration step = absl::Minutes(request.step_minutes);
  const absl::Time grid_begin = StartOfLocalDay(range_zone, request.from_date);
  const absl::Time grid_end = StartOfLocalDay(range_zone, request.to_date + 1);
  // A window holding a slot is at most a local day (25 hours) long, so it
  // lies within this span; windows cut at its edges hold no slot.
  const absl::Time span_begin = grid_begin - absl::Hours(48);
  const absl::Time span_end = grid_end + duration + absl::Hours(48);

  const std::vector<MeetingParticipant>& participants = request.participants;
  const size_t n = participants.size();
  // Participants often share a zone: scan each zone's offsets once.
  absl::flat_hash_map<const ZoneRules*, std::vector<OffsetSegment>>
      segments_by_zone;
  std::vector<std::vector<WorkWindow>> windows(n);
  for (size_t i = 0; i < n; ++i) {
    const ZoneRules& rules = participants[i].zone.rules();
    auto [it, inserted] = segments_by_zone.try_emplace(&rules);
    if (inserted) it->second = OffsetSegments(rules, span_begin, span_end);
    windows[i] = WorkWindows(participants[i], it->second);
  }

  // Sweep the grid in time order. Slot ends only grow, so each participant's
  // cursor only moves forward: O(grid x participants + windows) in all.
  std::vector<Candidate> found;
  std::vector<size_t> cursor(n, 0);
  for (absl::CivilDay day = request.from_date; day <= request.to_date; ++day) {
    const absl::Time day_begin = StartOfLocalDay(range_zone, day);
    const absl::Time day_end = StartOfLocalDay(range_zone, day + 1);
    for (absl::Time start = day_begin; start < day_end; start += step) {
      const absl::Time end = start + duration;
      absl::Duration score = absl::InfiniteDuration();
      bool inside = true;
      for (size_t i = 0; i < n && inside; ++i) {
        const std::vector<WorkWindow>& w = windows[i];
        size_t& k = cursor[i];
        while (k < w.size() && w[k].end < end) ++k;
        if (k == w.size() || w[k].begin > start) {
          inside = false;
        } else {
          score = std::min({score, start - w[k].begin, w[k].end - end});
        }
      }
      if (inside) {
        found.push_back({start, static_cast<int>(absl::ToInt64Minutes(score))});
      }
    }
  }

  MeetingTimes result;
  result.matching_slots = static_cast<int>(found.size());
  const size_t keep =
      std::min(found.size(), static_cast<size_t>(request.max_results));
  std::partial_sort(found.begin(), found.begin() + keep, found.end(),
                    [](const Candidate& a, const Candidate& b) {
                      if (a.score != b.score) return a.score > b.score;
                      return a.start < b.start;
                    });
  result.slots.reserve(keep);
  for (size_t s = 0; s < keep; ++s) {
    MeetingSlot& slot = result.slots.emplace_back();
    slot.start = found[s].start;
    slot.end = found[s].start + duration;
    slot.score = found[s].score;
    slot.participants.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      MeetingParticipantTimes& times = slot.participants.emplace_back();
      times.name = participants[i].name;
      times.start = ToZoned(participants[i].zone, slot.start);
      times.end = ToZoned(participants[i].zone, slot.end);
      const WorkWindow* window = Containing(windows[i], slot.start, slot.end);
      times.margin_minutes =
          window == nullptr ? 0 : MarginMinutes(*window, slot.start, slot.end);
    }
  }
  return result;
}

}  // namespace convene::core
