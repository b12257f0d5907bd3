#include "core/event_sheet.h"

#include "core/event_days.h"
#include "core/zoned_rendering.h"

namespace convene::core {

absl::StatusOr<EventSheet> MakeEventSheet(const Event& event, const Zone& zone) {
  absl::StatusOr<std::vector<EventDay>> days = SplitIntoLocalDays(
      zone, event.start_local, event.end_local, event.local_time_policy);
  if (!days.ok()) return days.status();
  EventSheet sheet;
  sheet.event_id = event.id;
  sheet.revision = event.revision;
  sheet.cancelled = event.status == EventStatus::kCancelled;
  sheet.format = event.format;
  sheet.time_zone = event.time_zone;
  for (const EventDay& d : *days) {
    sheet.days.push_back(d.date);
    const absl::Time from = d.start - event.check_in_margin;
    const absl::Time until = d.end + event.check_in_margin;
    sheet.check_in_windows.push_back({d.date, from, until,
                                      FormatLocal(ToZoned(zone, from)),
                                      FormatLocal(ToZoned(zone, until))});
  }
  sheet.in_person_capacity = event.venue.in_person_capacity;
  sheet.online_capacity = event.online.online_capacity;
  sheet.allow_walk_ins = event.allow_walk_ins;
  for (const Session& s : event.sessions) {
    sheet.sessions.push_back(
        {s.id, s.title, absl::CivilDay(s.start_local), EffectiveFormat(event, s)});
  }
  for (const Session& s : event.removed_sessions) {
    sheet.removed_sessions.push_back(
        {s.id, s.title, absl::CivilDay(s.start_local), EffectiveFormat(event, s)});
  }
  return sheet;
}

}  // namespace convene::core
