// An event as a viewer in any zone sees it: its local days at the venue, and
// each session with venue-local time, viewer-local time, offsets and the
// instant.
//
//   absl::StatusOr<Agenda> agenda = BuildAgenda(event, venue_zone, tokyo);
//   // a 17:00 Brussels session: viewer_local 2021-09-14T00:00 (+09:00),
//   // viewer_date_differs == true
#ifndef CONVENE_CORE_AGENDA_H_
#define CONVENE_CORE_AGENDA_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "core/zone.h"

namespace convene::core {

// One instant on the venue's and on the viewer's wall clock.
struct AgendaTime {
  absl::Time instant;
  absl::CivilSecond venue_local;
  absl::Duration venue_utc_offset;
  absl::CivilSecond viewer_local;
  absl::Duration viewer_utc_offset;
  // The viewer's local date differs from the venue's for this instant.
  bool viewer_date_differs = false;
};

// A session, or the whole day for a day of the event without sessions
// (session_id empty, title and format the event's).
struct AgendaItem {
  std::string session_id;
  std::string title;
  EventFormat format = EventFormat::kUnspecified;
  std::string room;
  // The join URL in force, empty for in-person-only items.
  std::string join_url;
  AgendaTime start;
  AgendaTime end;
  // Began on an earlier venue day (start is then that day's).
  bool continues_from_earlier_day = false;
};

// One local day of the event at the venue.
struct AgendaDay {
  absl::CivilDay venue_date;
  AgendaTime start;
  AgendaTime end;
  std::vector<AgendaItem> items;
};

struct Agenda {
  std::string event_id;
  std::string title;
  std::string venue_zone;
  std::string viewer_zone;
  EventStatus status = EventStatus::kScheduled;
  int64_t revision = 0;
  std::vector<AgendaDay> days;
};

// Builds the agenda of a prepared `event` (instants derived) whose zone is
// `venue`, for a viewer in `viewer`. A session shows on the venue day on
// which it starts and on each later one it runs into past midnight, as a
// calendar shows it, so that a day is never shown free (or as the event's
// whole-day hours) while a session is going on.
absl::StatusOr<Agenda> BuildAgenda(const Event& event, const Zone& venue,
                                   const Zone& viewer);

// `instant` seen at the venue and by the viewer.
AgendaTime ToAgendaTime(absl::Time instant, const Zone& venue,
                        const Zone& viewer);

}  // namespace convene::core

#endif  // CONVENE_CORE_AGENDA_H_
