#include "core/notice.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/day_hours.h"
#include "core/reminder_planner.h"

namespace convene::core {
namespace {

constexpr char kField = '\x1f';  // between a day's fields
constexpr char kDay = '\x1e';    // between days

bool Held(const NoticeDay& d) { return d.status != RegistrationStatus::kCancelled; }

}  // namespace

absl::string_view NoticeKindName(NoticeKind kind) {
  switch (kind) {
    case NoticeKind::kCancelled: return "cancelled";
    case NoticeKind::kRescheduled: return "rescheduled";
    case NoticeKind::kPromoted: return "promoted";
    case NoticeKind::kDayCancelled: return "day-cancelled";
    case NoticeKind::kModeChanged: return "mode-changed";
    case NoticeKind::kConfirmed: return "confirmed";
    case NoticeKind::kWaitlisted: return "waitlisted";
    case NoticeKind::kVenueChanged: return "venue-changed";
  }
  return "confirmed";
}

NoticeState NoticeStateOf(const Event& event, const Zone& zone, const Registration& registration) {
  NoticeState s;
  s.event_start = event.start;
  s.event_end = event.end;
  // Notification's copy of a registration keeps the dates it was made for
  // when the event moves (attendance moves its days without a change entry),
  // so they are read on the event's dates, as reminders are planned.
  for (const RegistrationDay& d : DaysOnEventDates(event, zone, registration)) {
    NoticeDay day;
    day.date = d.date;
    day.mode = d.mode;
    day.status = d.status;
    day.waitlist_position = d.waitlist_position;
    day.starts = DayStart(event, zone, d.date, d.mode);
    if (d.mode == AttendanceMode::kOnline) {
      day.where = event.online.join_url;
    } else {
      day.where = absl::StrJoin({event.venue.name, event.venue.address}, ", ");
    }
    s.days.push_back(std::move(day));
  }
  return s;
}

std::string FormatNoticeState(const NoticeState& state) {
  std::vector<std::string> days;
  for (const NoticeDay& d : state.days) {
    days.push_back(absl::StrCat(absl::FormatCivilTime(d.date), std::string(1, kField),
                                static_cast<int>(d.mode), std::string(1, kField),
                                static_cast<int>(d.status), std::string(1, kField),
                                d.waitlist_position, std::string(1, kField),
                                absl::ToUnixSeconds(d.starts), std::string(1, kField), d.where));
  }
  return absl::StrCat("v1", std::string(1, kField), absl::ToUnixSeconds(state.event_start),
                      std::string(1, kField), absl::ToUnixSeconds(state.event_end),
                      std::string(1, kDay), absl::StrJoin(days, std::string(1, kDay)));
}

absl::StatusOr<NoticeState> ParseNoticeState(absl::string_view text) {
  auto bad = [] { return absl::DataLossError("notice state is not readable"); };
  std::vector<absl::string_view> parts = absl::StrSplit(text, kDay);
  std::vector<absl::string_view> head = absl::StrSplit(parts[0], kField);
  NoticeState s;
  int64_t start = 0, end = 0;
  if (head.size() != 3 || head[0] != "v1" || !absl::SimpleAtoi(head[1], &start) ||
      !absl::SimpleAtoi(head[2], &end)) {
    return bad();
  }
  s.event_start = absl::FromUnixSeconds(start);
  s.event_end = absl::FromUnixSeconds(end);
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i].empty()) continue;
    std::vector<absl::string_view> f = absl::StrSplit(parts[i], absl::MaxSplits(kField, 5));
    NoticeDay d;
    int mode = 0, status = 0;
    int64_t starts = 0;
    if (f.size() != 6 || !absl::ParseCivilTime(f[0], &d.date) || !absl::SimpleAtoi(f[1], &mode) ||
        !absl::SimpleAtoi(f[2], &status) || !absl::SimpleAtoi(f[3], &d.waitlist_position) ||
        !absl::SimpleAtoi(f[4], &starts)) {
      return bad();
    }
    d.mode = static_cast<AttendanceMode>(mode);
    d.status = static_cast<RegistrationStatus>(status);
    d.starts = absl::FromUnixSeconds(starts);
    d.where = std::string(f[5]);
    s.days.push_back(std::move(d));
  }
  return s;
}

std::optional<NoticeKind> OwedNotice(const NoticeState* told, const NoticeState& now) {
  bool any_held = false, any_confirmed = false;
  for (const NoticeDay& d : now.days) {
    any_held |= Held(d);
    any_confirmed |= d.status == RegistrationStatus::kConfirmed;
  }
  if (told == nullptr) {
    if (any_confirmed) return NoticeKind::kConfirmed;
    if (any_held) return NoticeKind::kWaitlisted;
    return std::nullopt;
  }
  if (*told == now) return std::nullopt;
  std::map<absl::CivilDay, const NoticeDay*> before;
  bool held_before = false;
  for (const NoticeDay& d : told->days) {
    before[d.date] = &d;
    held_before |= Held(d);
  }
  if (!any_held) {
    return held_before ? std::optional<NoticeKind>(NoticeKind::kCancelled) : std::nullopt;
  }
  if (told->event_start != now.event_start || told->event_end != now.event_end) {
    return NoticeKind::kRescheduled;
  }
  bool promoted = false, day_cancelled = false, mode_changed = false, added_confirmed = false,
       added_waitlisted = false, moved = false, venue = false;
  std::map<absl::CivilDay, const NoticeDay*> after;
  for (const NoticeDay& d : now.days) {
    after[d.date] = &d;
    auto it = before.find(d.date);
    const NoticeDay* was = it == before.end() || !Held(*it->second) ? nullptr : it->second;
    if (!Held(d)) {
      day_cancelled |= was != nullptr;
      continue;
    }
    if (was == nullptr) {
      (d.status == RegistrationStatus::kConfirmed ? added_confirmed : added_waitlisted) = true;
      continue;
    }
    promoted |= was->status == RegistrationStatus::kWaitlisted &&
                d.status == RegistrationStatus::kConfirmed;
    // Back to the waiting list (a mode change onto a full one): waitlisted.
    added_waitlisted |= was->status == RegistrationStatus::kConfirmed &&
                        d.status == RegistrationStatus::kWaitlisted;
    mode_changed |= was->mode != d.mode;
    moved |= was->starts != d.starts;
    venue |= was->mode == d.mode && was->where != d.where;
  }
  for (const auto& [date, d] : before) {
    day_cancelled |= Held(*d) && !after.count(date);  // a day the event no longer has
  }
  if (moved) return NoticeKind::kRescheduled;
  if (promoted) return NoticeKind::kPromoted;
  if (day_cancelled) return NoticeKind::kDayCancelled;
  if (mode_changed) return NoticeKind::kModeChanged;
  if (added_confirmed) return NoticeKind::kConfirmed;
  if (added_waitlisted) return NoticeKind::kWaitlisted;
  if (venue) return NoticeKind::kVenueChanged;
  return std::nullopt;  // only a waiting-list place moved
}

}  // namespace convene::core
