// EventSheet: what attendance needs to know of an event, and nothing more:
// its local days and when each accepts check-ins, the capacity of each
// mode, its sessions with the modes they offer, whether it is cancelled, and
// the revision it was taken from.
//
//   absl::StatusOr<EventSheet> sheet = MakeEventSheet(event, zone);
//   sheet->days;  // {2022-03-15, 2022-03-16, 2022-03-17}
//
// Attendance builds it from the calendar's change stream and keeps it next
// to each event's attendance data (so one attendance script sees everything
// it checks), replacing it only with a newer revision.
#ifndef CONVENE_CORE_EVENT_SHEET_H_
#define CONVENE_CORE_EVENT_SHEET_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "core/event.h"
#include "core/zone.h"

namespace convene::core {

struct SheetSession {
  std::string id;
  std::string title;
  absl::CivilDay date;  // the venue-local day it starts on
  EventFormat format = EventFormat::kUnspecified;  // resolved, never unspecified
};

// When check-ins for one day are accepted: the day's span in the venue's
// zone (event_days.h) widened by the event's check_in_margin on each side.
struct CheckInWindow {
  absl::CivilDay date;
  absl::Time from;
  absl::Time until;
  // The bounds on the venue's wall clock, for messages
  // ("2022-03-14T21:00 CET (+01:00)").
  std::string from_local;
  std::string until_local;
};

struct EventSheet {
  std::string event_id;
  int64_t revision = 0;
  bool cancelled = false;
  EventFormat format = EventFormat::kUnspecified;
  std::string time_zone;
  std::vector<absl::CivilDay> days;
  // One per day, in the order of `days`.
  std::vector<CheckInWindow> check_in_windows;
  // 0 means no limit (when the format offers the mode at all).
  int in_person_capacity = 0;
  int online_capacity = 0;
  bool allow_walk_ins = false;
  std::vector<SheetSession> sessions;
  // Removed by an update: no new check-ins, the old ones still counted.
  std::vector<SheetSession> removed_sessions;
};

// The sheet of a prepared event whose zone is `zone`.
absl::StatusOr<EventSheet> MakeEventSheet(const Event& event, const Zone& zone);

}  // namespace convene::core

#endif  // CONVENE_CORE_EVENT_SHEET_H_
