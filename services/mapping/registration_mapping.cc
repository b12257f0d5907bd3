#include "mapping/registration_mapping.h"

#include "absl/strings/str_cat.h"
#include "core/local_date_time.h"
#include "rpc/proto_time.h"

namespace convene::mapping {
namespace {

v1::RegistrationStatus StatusToProto(core::RegistrationStatus s) {
  switch (s) {
    case core::RegistrationStatus::kConfirmed:
      return v1::REGISTRATION_STATUS_CONFIRMED;
    case core::RegistrationStatus::kWaitlisted:
      return v1::REGISTRATION_STATUS_WAITLISTED;
    case core::RegistrationStatus::kCancelled:
      return v1::REGISTRATION_STATUS_CANCELLED;
  }
  return v1::REGISTRATION_STATUS_UNSPECIFIED;
}

}  // namespace

core::ParticipantInfo ParticipantFromProto(const v1::Participant& w) {
  return {w.participant_id(), w.display_name(), w.email(),     w.organisation(),
          w.city(),           w.country_code(), w.time_zone(), w.language()};
}

v1::Participant ParticipantToProto(const core::ParticipantInfo& p) {
  v1::Participant w;
  w.set_participant_id(p.participant_id);
  w.set_display_name(p.display_name);
  w.set_email(p.email);
  w.set_organisation(p.organisation);
  w.set_city(p.city);
  w.set_country_code(p.country_code);
  w.set_time_zone(p.time_zone);
  w.set_language(p.language);
  return w;
}

absl::StatusOr<std::optional<core::AttendanceMode>> ModeFromProto(
    v1::AttendanceMode mode, absl::string_view field) {
  switch (mode) {
    case v1::ATTENDANCE_MODE_UNSPECIFIED:
      return std::optional<core::AttendanceMode>();
    case v1::ATTENDANCE_MODE_IN_PERSON:
      return core::AttendanceMode::kInPerson;
    case v1::ATTENDANCE_MODE_ONLINE:
      return core::AttendanceMode::kOnline;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": unknown value ", static_cast<int>(mode)));
  }
}

v1::AttendanceMode ModeToProto(core::AttendanceMode mode) {
  return mode == core::AttendanceMode::kOnline ? v1::ATTENDANCE_MODE_ONLINE
                                               : v1::ATTENDANCE_MODE_IN_PERSON;
}

v1::Registration RegistrationToProto(const core::Registration& r) {
  v1::Registration w;
  w.set_event_id(r.event_id);
  *w.mutable_participant() = ParticipantToProto(r.participant);
  for (const core::RegistrationDay& d : r.days) {
    v1::RegistrationDay* wd = w.add_days();
    wd->set_date(core::FormatLocalDate(d.date));
    wd->set_mode(ModeToProto(d.mode));
    wd->set_status(StatusToProto(d.status));
    wd->set_waitlist_position(d.waitlist_position);
  }
  w.set_status(StatusToProto(r.status));
  w.set_walk_in(r.walk_in);
  w.set_forgotten(r.forgotten);
  w.set_revision(r.revision);
  *w.mutable_create_time() = rpc::TimeToProto(r.create_time);
  *w.mutable_update_time() = rpc::TimeToProto(r.update_time);
  return w;
}

v1::CheckInRecord CheckInToProto(const core::CheckInRecord& r) {
  v1::CheckInRecord w;
  w.set_event_id(r.event_id);
  w.set_participant_id(r.participant_id);
  w.set_day(core::FormatLocalDate(r.day));
  w.set_session_id(r.session_id);
  w.set_mode(ModeToProto(r.mode));
  switch (r.source) {
    case core::CheckInSource::kDesk:
      w.set_source(v1::CHECK_IN_SOURCE_DESK);
      break;
    case core::CheckInSource::kBadge:
      w.set_source(v1::CHECK_IN_SOURCE_BADGE);
      break;
    case core::CheckInSource::kOnlineJoin:
      w.set_source(v1::CHECK_IN_SOURCE_ONLINE_JOIN);
      break;
    case core::CheckInSource::kOnlineLeave:
      w.set_source(v1::CHECK_IN_SOURCE_ONLINE_LEAVE);
      break;
  }
  *w.mutable_check_in_time() = rpc::TimeToProto(r.check_in_time);
  w.set_walk_in(r.walk_in);
  w.set_duplicate(r.duplicate);
  w.set_join_count(r.join_count);
  if (r.mode == core::AttendanceMode::kOnline) {
    *w.mutable_first_join_time() = rpc::TimeToProto(r.check_in_time);
    *w.mutable_last_leave_time() = rpc::TimeToProto(r.last_leave_time);
  }
  return w;
}

}  // namespace convene::mapping
