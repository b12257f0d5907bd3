#include "core/agenda.h"

#include "core/day_hours.h"
#include "core/event_days.h"
#include "core/zoned_rendering.h"

namespace convene::core {

AgendaTime ToAgendaTime(absl::Time instant, const Zone& venue,
                        const Zone& viewer) {
  const ZonedTime at_venue = ToZoned(venue, instant);
  const ZonedTime at_viewer = ToZoned(viewer, instant);
  AgendaTime t;
  t.instant = instant;
  t.venue_local = at_venue.local;
  t.venue_utc_offset = at_venue.utc_offset;
  t.viewer_local = at_viewer.local;
  t.viewer_utc_offset = at_viewer.utc_offset;
  t.viewer_date_differs =
      absl::CivilDay(at_venue.local) != absl::CivilDay(at_viewer.local);
  return t;
}

absl::StatusOr<Agenda> BuildAgenda(const Event& event, const Zone& venue,
                                   const Zone& viewer) {
  absl::StatusOr<std::vector<EventDay>> days = SplitIntoLocalDays(
      venue, event.start_local, event.end_local, event.local_time_policy);
  if (!days.ok()) return days.status();

  Agenda agenda;
  agenda.event_id = event.id;
  agenda.title = event.title;
  agenda.venue_zone = std::string(venue.name());
  agenda.viewer_zone = std::string(viewer.name());
  agenda.status = event.status;
  agenda.revision = event.revision;
  for (const EventDay& d : *days) {
    AgendaDay day;
    day.venue_date = d.date;
    day.start = ToAgendaTime(d.start, venue, viewer);
    day.end = ToAgendaTime(d.end, venue, viewer);
    for (const Session& s : event.sessions) {
      const absl::CivilDay starts(s.start_local);
      const bool continues =
          starts < d.date && s.end_local > absl::CivilSecond(d.date);
      if (starts != d.date && !continues) continue;
      const EventFormat format = EffectiveFormat(event, s);
      day.items.push_back(AgendaItem{
          .session_id = s.id,
          .title = s.title,
          .format = format,
          .room = s.room,
          .join_url = OffersOnline(format) ? EffectiveJoinUrl(event, s) : "",
          .start = ToAgendaTime(s.start, venue, viewer),
          .end = ToAgendaTime(s.end, venue, viewer),
          .continues_from_earlier_day = continues,
      });
    }
    if (day.items.empty()) {
      // The day's hours as its participants are told them (invitations,
      // reminders): the event's opening to its closing hour, not midnight
      // to midnight.
      AgendaItem whole_day;
      whole_day.title = event.title;
      whole_day.format = event.format;
      if (OffersOnline(event.format)) whole_day.join_url = event.online.join_url;
      whole_day.start = ToAgendaTime(DayStart(event, venue, d.date), venue, viewer);
      whole_day.end = ToAgendaTime(DayEnd(event, venue, d.date), venue, viewer);
      day.items.push_back(std::move(whole_day));
    }
    agenda.days.push_back(std::move(day));
  }
  return agenda;
}

}  // namespace convene::core
