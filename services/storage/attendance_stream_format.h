// The stored forms the attendance scripts write into registration hashes and
// into each event's attendance stream (cv:{ev:<id>}:changes), which is
// attendance's published interface: the calendar's change feed relay and the
// reminder planner read its entries with these, never attendance's stores.
//   days     "date=mode=status[=waitlist position];..."
//   modes    "in_person" / "online"
//   statuses "confirmed" / "waitlisted" / "cancelled"
//   sources  "desk" / "badge" / "online_join" / "online_leave"
// Each registration_created entry is followed by a participant_contact
// entry: the participant's contact (the fields below, attendance_lib.lua's
// CONTACT_FIELDS) with the registration's days and revision, for followers
// that keep their own copy of registrations (notification). It is personal
// data: erasing the participant deletes those entries, and the calendar's
// change feed relay does not publish them, so no other keyspace keeps it.
#ifndef CONVENE_STORAGE_ATTENDANCE_STREAM_FORMAT_H_
#define CONVENE_STORAGE_ATTENDANCE_STREAM_FORMAT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/check_in.h"
#include "core/registration.h"

namespace convene::storage {

inline constexpr absl::string_view kContactKind = "participant_contact";
inline constexpr absl::string_view kContactFields[] = {"display_name", "email", "time_zone",
                                                       "language"};
// The reason a caller gave for a change of a registration (free text about
// the person), after that change's entry: "participant", "of" (the change's
// entry id), "reason". Deleted from the stream with the contact entries when
// the person is erased; it changes no registration.
inline constexpr absl::string_view kNoteKind = "participant_note";

absl::StatusOr<std::vector<core::RegistrationDay>> ParseStoredDays(absl::string_view text);
std::string FormatStoredDays(const std::vector<core::RegistrationDay>& days);
absl::string_view StoredModeName(core::AttendanceMode mode);
absl::string_view StoredStatusName(core::RegistrationStatus status);
absl::string_view StoredSourceName(core::CheckInSource source);
absl::StatusOr<core::AttendanceMode> ParseStoredMode(absl::string_view name);
absl::StatusOr<core::RegistrationStatus> ParseStoredStatus(absl::string_view name);
// Unknown names read as the desk.
core::CheckInSource ParseStoredSource(absl::string_view name);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_ATTENDANCE_STREAM_FORMAT_H_
