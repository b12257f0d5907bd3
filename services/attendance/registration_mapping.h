// Conversions between the attendance service's own requests and replies
// (days asked for, check-in commands, counts) and its app layer; records
// shared with other services convert in mapping/registration_mapping.h.
#ifndef CONVENE_ATTENDANCE_REGISTRATION_MAPPING_H_
#define CONVENE_ATTENDANCE_REGISTRATION_MAPPING_H_

#include <optional>
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

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_REGISTRATION_MAPPING_H_
