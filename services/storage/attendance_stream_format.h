// The stored forms the attendance scripts write into registration hashes and
// into each event's attendance stream (cv:{ev:<id>}:changes), which is
// attendance's published interface: the calendar's change feed relay and the
// reminder planner read its entries with these, never attendance's stores.
//   days     "date=mode=status[=waitlist position];..."
//   modes    "in_person" / "online"
//   statuses "confirmed" / "waitlisted" / "cancelled"
//   sources  "desk" / "badge" / "online_join" / "online_leave"
#ifndef CONVENE_STORAGE_ATTENDANCE_STREAM_FORMAT_H_
#define CONVENE_STORAGE_ATTENDANCE_STREAM_FORMAT_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/check_in.h"
#include "core/registration.h"

namespace convene::storage {

absl::StatusOr<std::vector<core::RegistrationDay>> ParseStoredDays(absl::string_view text);
absl::StatusOr<core::AttendanceMode> ParseStoredMode(absl::string_view name);
absl::StatusOr<core::RegistrationStatus> ParseStoredStatus(absl::string_view name);
// Unknown names read as the desk.
core::CheckInSource ParseStoredSource(absl::string_view name);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_ATTENDANCE_STREAM_FORMAT_H_
