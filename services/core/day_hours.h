// The hours of an event day for its participants: when day `day` begins
// and ends for someone attending it (in a mode, when given). Invitations,
// reminders, notices and the agenda of a day without sessions all read a
// day's hours here, so that an e-mail and the agenda never disagree.
//
//   // A three-day conference 09:00 Tuesday to 17:30 Thursday, no sessions:
//   DayStart(event, zone, wednesday);  // Wednesday 09:00 at the venue
//   DayEnd(event, zone, wednesday);    // Wednesday 17:30
#ifndef CONVENE_CORE_DAY_HOURS_H_
#define CONVENE_CORE_DAY_HOURS_H_

#include <optional>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "core/registration.h"
#include "core/zone.h"

namespace convene::core {

// Whether `day` is the one the event opens on: its start's date as typed,
// or the date the clocks showed then, which differs when the local-time
// policy moved a start in a gap across midnight.
bool OpensOn(const Event& event, const Zone& zone, absl::CivilDay day);

// The first session starting on `day` (venue-local) that a participant in
// `mode` can attend (of all of them when none offers the mode, or no mode
// is given); null on a day without sessions.
const Session* FirstSessionOn(const Event& event, absl::CivilDay day,
                              std::optional<AttendanceMode> mode = std::nullopt);

// The instant event day `day` begins for its participants (those attending
// in `mode`, when given): its first session's start (of the sessions that
// mode can attend, when there are any), or the event's start time of day on
// that date.
absl::Time DayStart(const Event& event, const Zone& zone, absl::CivilDay day,
                    std::optional<AttendanceMode> mode = std::nullopt);

// The instant event day `day` ends for its participants: its last session's
// end, or the event's closing time of day on that date (its end on the last
// day), never before DayStart. A participant's calendar entry for the day
// runs from DayStart to this, not to midnight.
absl::Time DayEnd(const Event& event, const Zone& zone, absl::CivilDay day,
                  std::optional<AttendanceMode> mode = std::nullopt);

}  // namespace convene::core

#endif  // CONVENE_CORE_DAY_HOURS_H_
