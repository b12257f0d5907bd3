// Meeting slots in which every participant is inside their own working hours,
// each in their own time zone, best first.
//
//   MeetingTimesRequest request{
//       .participants = {{.name = "Eurocities", .zone = brussels},
//                        {.name = "Athens", .zone = athens},
//                        {.name = "Tampere", .zone = helsinki}},
//       .range_zone = brussels,
//       .from_date = absl::CivilDay(2022, 3, 15),
//       .to_date = absl::CivilDay(2022, 3, 15),
//       .duration_minutes = 60,
//   };
//   absl::StatusOr<MeetingTimes> found = FindMeetingTimes(request);
//   // found->slots[0]: 2022-03-15T11:00Z (12:00 Brussels, 13:00 Athens and
//   // Tampere), score 180: three hours from the nearest edge of anyone's
//   // day. No common slot at all is an empty list, not an error.
//
// Working hours are wall-clock hours read through each participant's zone,
// so they stay at 09:00 local when the clocks change, and a slot that would
// pass through a local time outside them (the repeated hour of an autumn
// change, say) is not inside them.

#ifndef CONVENE_SERVICES_CORE_MEETING_TIMES_H_
#define CONVENE_SERVICES_CORE_MEETING_TIMES_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/zone.h"
#include "core/zoned_rendering.h"

namespace convene::core {

// Limits FindMeetingTimes() enforces, bounding the work of one request (at
// most about 50 participants x 62 days x 288 five-minute starts).
inline constexpr int kMaxMeetingParticipants = 50;
inline constexpr int kMinMeetingMinutes = 15;
inline constexpr int kMaxMeetingMinutes = 720;
inline constexpr int kMaxMeetingRangeDays = 62;
inline constexpr int kMinMeetingStepMinutes = 5;
inline constexpr int kMaxMeetingStepMinutes = 60;
inline constexpr int kMaxMeetingResults = 100;

// Someone who must attend, and when they work.
struct MeetingParticipant {
  std::string name;  // for the caller's display; must not be empty
  Zone zone;
  // Working hours as minutes since local midnight, [working_start,
  // working_end): 0..1439 and 1..1440 (24:00), end after start. A window that
  // crosses midnight (a night shift) is not supported.
  int working_start = 9 * 60;
  int working_end = 17 * 60;
  // The local days on which they work, as ISO weekdays: 1 = Monday ... 7 =
  // Sunday. Must not be empty.
  std::set<int> working_weekdays = {1, 2, 3, 4, 5};
};

// What to search: meetings of `duration_minutes` starting on the local dates
// from_date..to_date (inclusive) of `range_zone`, at multiples of
// `step_minutes` after each of those days' start (00:00 local).
struct MeetingTimesRequest {
  std::vector<MeetingParticipant> participants;  // 1..50
  Zone range_zone;
  absl::CivilDay from_date;
  absl::CivilDay to_date;     // on or after from_date, <= 62 days in all
  int duration_minutes = 60;  // 15..720
  int step_minutes = 15;      // 5..60
  int max_results = 10;       // 1..100
};

// One participant's view of a slot, in the same order as the request's
// participants.
struct MeetingParticipantTimes {
  std::string name;
  ZonedTime start;  // local wall clock and UTC offset when the slot starts
  ZonedTime end;    // ... and when it ends (offsets differ if the clocks
                    // change during the slot)
  // Minutes from the slot to the nearer edge of this participant's working
  // hours that day (0: it starts or ends exactly at one of them).
  int margin_minutes = 0;
};

// A slot [start, end) inside everyone's working hours.
struct MeetingSlot {
  absl::Time start;
  absl::Time end;
  // The smallest margin_minutes over the participants: how comfortably the
  // slot sits inside everyone's day. Slots are ranked by it.
  int score = 0;
  std::vector<MeetingParticipantTimes> participants;
};

struct MeetingTimes {
  // At most max_results slots, highest score first, earlier start first
  // among equal scores.
  std::vector<MeetingSlot> slots;
  // How many slots of the grid were inside everyone's hours, returned or not.
  int matching_slots = 0;
};

// Searches the grid of `request` for slots inside every participant's
// working hours on one of their working days, in their own zone. A slot
// must lie within a single local day's working hours of each participant.
// Returns INVALID_ARGUMENT naming the field ("participants[2].working_end",
// "duration_minutes", "to_date", ...) when a limit above is broken. An empty
// `slots` list is a valid answer.
absl::StatusOr<MeetingTimes> FindMeetingTimes(
    const MeetingTimesRequest& request);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_MEETING_TIMES_H_
