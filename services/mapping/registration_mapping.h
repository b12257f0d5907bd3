// Conversions between convene.v1 attendance records (participants, modes,
// registrations, check-ins) and core: how attendance answers its RPCs and
// how the calendar's change feed shows registrations. The only place that
// knows both.
//
//   v1::Registration wire = RegistrationToProto(registration);
#ifndef CONVENE_MAPPING_REGISTRATION_MAPPING_H_
#define CONVENE_MAPPING_REGISTRATION_MAPPING_H_

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "convene/v1/attendance.pb.h"
#include "core/check_in.h"
#include "core/registration.h"

namespace convene::mapping {

core::ParticipantInfo ParticipantFromProto(const v1::Participant& wire);
v1::Participant ParticipantToProto(const core::ParticipantInfo& participant);

// UNSPECIFIED is "not given"; unknown numbers are INVALID_ARGUMENT naming
// `field`.
absl::StatusOr<std::optional<core::AttendanceMode>> ModeFromProto(
    v1::AttendanceMode mode, absl::string_view field);
v1::AttendanceMode ModeToProto(core::AttendanceMode mode);

v1::Registration RegistrationToProto(const core::Registration& registration);

v1::CheckInRecord CheckInToProto(const core::CheckInRecord& record);

}  // namespace convene::mapping

#endif  // CONVENE_MAPPING_REGISTRATION_MAPPING_H_
