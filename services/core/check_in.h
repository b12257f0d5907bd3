// Check-ins: who was present, for which day or session, in which mode.
//
//   CheckInRecord r;  // r.duplicate: an earlier scan or join was counted
//
// A person is counted once per (day or session, mode) however many times
// they are scanned or rejoin; being present in the room and online on the
// same day is two records (the unique headcount counts them once).
#ifndef CONVENE_CORE_CHECK_IN_H_
#define CONVENE_CORE_CHECK_IN_H_

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/registration.h"

namespace convene::core {

enum class CheckInSource { kDesk, kBadge, kOnlineJoin, kOnlineLeave };

struct CheckInRecord {
  std::string event_id;
  std::string participant_id;
  absl::CivilDay day;
  std::string session_id;  // empty for a day check-in
  AttendanceMode mode = AttendanceMode::kInPerson;
  CheckInSource source = CheckInSource::kDesk;
  absl::Time check_in_time = absl::InfinitePast();
  bool walk_in = false;
  // True when this call found an earlier check-in and counted nothing.
  bool duplicate = false;
  int join_count = 1;
  absl::Time last_leave_time = absl::InfinitePast();
};

}  // namespace convene::core

#endif  // CONVENE_CORE_CHECK_IN_H_
