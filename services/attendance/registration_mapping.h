// Conversions between the attendance service's own requests and replies
// (days asked for, check-in commands, counts) and its app layer; records
// shared with other services convert in mapping/registration_mapping.h.
#ifndef CONVENE_ATTENDANCE_REGISTRATION_MAPPING_H_
#define CONVENE_ATTENDANCE_REGISTRATION_MAPPING_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "attendance/attendance_app.h"
#include "convene/v1/attendance.pb.h"
#include "core/attendance_counts.h"
#include "core/check_in.h"
#include "core/registration.h"
#include "mapping/registration_mapping.h"
#include "attendance/attendance_store.h"

namespace convene::attendance {

// The attendance records' own conversions are shared (mapping/); the
// attendance code names them as its own.
using mapping::CheckInToProto;
using mapping::ModeFromProto;
using mapping::ModeToProto;
using mapping::ParticipantFromProto;
using mapping::ParticipantToProto;
using mapping::RegistrationToProto;

absl::StatusOr<std::vector<RequestedDay>> DaysFromProto(
    const google::protobuf::RepeatedPtrField<v1::DayMode>& days);

// A CheckIn request in store terms (occurred time and limits are the app's).
absl::StatusOr<storage::CheckInCommand> CheckInFromProto(
    const v1::CheckInRequest& request);

v1::AttendanceCounts CountsToProto(const core::AttendanceCounts& counts,
                                   absl::Time as_of);

// The counts a caller asked for (GetAttendanceCounts, and every message of
// WatchAttendanceCounts): only the `days` named (empty: every day), in date
// order, and no more than one answer holds (core::kMaxPageBytes), else
// OUT_OF_RANGE naming days. With `check_days` a day that is not a local
// date of the event, or is named twice, is INVALID_ARGUMENT naming it; a
// stream checks its first message only (a moved event may drop a day
// later: it is then left out). The same pointer comes back when nothing
// is left out.
absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>> CountsForDays(
    std::shared_ptr<const v1::AttendanceCounts> all, const std::vector<std::string>& days,
    bool check_days);

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_REGISTRATION_MAPPING_H_
