// AttendanceCounts: registered, waitlisted and present, in the room and
// online, for each day and session of an event, with breakdowns by city and
// organisation and the de-duplicated headcount.
//
//   AttendanceCounts counts = BuildAttendanceCounts(sheet, tallies);
//   counts.days[0].counts.checked_in_total;  // the hybrid total of day 1
//
// The tallies are the counters the attendance scripts keep as they change
// things ("reg:2022-03-15:in_person", "in:day:2022-03-15:online",
// "g:city:546f72696e6f:reg:..." for Torino, ...; the field names are defined
// in attendance/scripts/attendance_lib.lua) plus the sizes of the presence
// sets; nothing is recounted by scanning registrations.
#ifndef CONVENE_CORE_ATTENDANCE_COUNTS_H_
#define CONVENE_CORE_ATTENDANCE_COUNTS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/event_sheet.h"

namespace convene::core {

struct ModeCounts {
  int registered_in_person = 0;
  int registered_online = 0;
  int waitlisted_in_person = 0;
  int waitlisted_online = 0;
  int checked_in_in_person = 0;
  int checked_in_online = 0;
  int registered_total() const {
    return registered_in_person + registered_online;
  }
  int checked_in_total() const {
    return checked_in_in_person + checked_in_online;
  }
};

// People present, each counted once however many scans or joins.
struct UniqueAttendees {
  int in_person_only = 0;
  int online_only = 0;
  int both = 0;
  int walk_ins = 0;
  // Earliest online join and latest online leave reported (InfinitePast:
  // none yet).
  absl::Time first_online_join = absl::InfinitePast();
  absl::Time last_online_leave = absl::InfinitePast();
  int total() const { return in_person_only + online_only + both; }
};

struct GroupCounts {
  std::string key;  // city or organisation ("" when not given)
  ModeCounts counts;
  // The group of erased participants' organisations (key "(erased)").
  bool erased = false;
};

struct SessionCounts {
  std::string session_id;
  std::string title;
  EventFormat format = EventFormat::kUnspecified;
  ModeCounts counts;  // registrations of the session's day, presence of it
  UniqueAttendees unique;
  bool removed = false;  // removed from the event; its check-ins still count
};

struct DayCounts {
  absl::CivilDay date;
  ModeCounts counts;
  UniqueAttendees unique;
  std::vector<SessionCounts> sessions;
  std::vector<GroupCounts> by_city;
  std::vector<GroupCounts> by_organisation;
  int in_person_capacity = 0;
  int online_capacity = 0;
};

struct AttendanceCounts {
  std::string event_id;
  std::vector<DayCounts> days;
  // Registrations not cancelled (walk-ins included).
  int registrations = 0;
  // Rises with every change to the event's attendance.
  int64_t version = 0;
  // The revision of the event (its sheet) the counts follow.
  int64_t event_revision = 0;
};

// What the store read: counter values by name, and presence set sizes by
// "<scope>:<mode>" and "<scope>:both" (scope "day:<date>" or
// "session:<id>").
struct AttendanceTallies {
  std::map<std::string, int64_t> counters;
  std::map<std::string, int64_t> presence;
};

// `days` ("YYYY-MM-DD"): the days of the sheet to answer for (empty: every
// day); the tallies need hold only theirs.
AttendanceCounts BuildAttendanceCounts(const EventSheet& sheet,
                                       const AttendanceTallies& tallies,
                                       const std::vector<std::string>& days = {});

}  // namespace convene::core

#endif  // CONVENE_CORE_ATTENDANCE_COUNTS_H_
