// Conversions between convene.v1 attendance messages and the attendance
// domain (core/registration.h). The only place that knows both.
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
#include "storage/attendance_store.h"

namespace convene::attendance {

core::ParticipantInfo ParticipantFromProto(const v1::Participant& wire);
v1::Participant ParticipantToProto(const core::ParticipantInfo& participant);

// UNSPECIFIED is "not given"; unknown numbers are INVALID_ARGUMENT naming
// `field`.
absl::StatusOr<std::optional<core::AttendanceMode>> ModeFromProto(
    v1::AttendanceMode mode, absl::string_view field);
v1::AttendanceMode ModeToProto(core::AttendanceMode mode);

absl::StatusOr<std::vector<RequestedDay>> DaysFromProto(
    const google::protobuf::RepeatedPtrField<v1::DayMode>& days);

v1::Registration RegistrationToProto(const core::Registration& registration);

// A CheckIn request in store terms (occurred time and limits are the app's).
absl::StatusOr<storage::CheckInCommand> CheckInFromProto(
    const v1::CheckInRequest& request);
v1::CheckInRecord CheckInToProto(const core::CheckInRecord& record);

v1::AttendanceCounts CountsToProto(const core::AttendanceCounts& counts,
                                   absl::Time as_of);

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_REGISTRATION_MAPPING_H_
