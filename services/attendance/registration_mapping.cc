#include "attendance/registration_mapping.h"

#include "absl/strings/str_cat.h"
#include "core/local_date_time.h"
#include "rpc/proto_time.h"

namespace convene::attendance {
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

absl::StatusOr<std::vector<RequestedDay>> DaysFromProto(
    const google::protobuf::RepeatedPtrField<v1::DayMode>& days) {
  std::vector<RequestedDay> out;
  for (int i = 0; i < days.size(); ++i) {
    const std::string field = absl::StrCat("days[", i, "]");
    absl::StatusOr<absl::CivilDay> date =
        core::ParseLocalDate(days[i].date(), absl::StrCat(field, ".date"));
    if (!date.ok()) return date.status();
    absl::StatusOr<std::optional<core::AttendanceMode>> mode =
        ModeFromProto(days[i].mode(), absl::StrCat(field, ".mode"));
    if (!mode.ok()) return mode.status();
    out.push_back({*date, *mode});
  }
  return out;
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

absl::StatusOr<storage::CheckInCommand> CheckInFromProto(
    const v1::CheckInRequest& w) {
  storage::CheckInCommand c;
  c.event_id = w.event_id();
  c.request_id = w.request_id();
  c.participant_id = w.participant_id();
  if (!w.day().empty()) {
    absl::StatusOr<absl::CivilDay> day = core::ParseLocalDate(w.day(), "day");
    if (!day.ok()) return day.status();
    c.day = *day;
  }
  c.session_id = w.session_id();
  absl::StatusOr<std::optional<core::AttendanceMode>> mode =
      ModeFromProto(w.mode(), "mode");
  if (!mode.ok()) return mode.status();
  if (!*mode) return absl::InvalidArgumentError("mode: is required");
  c.mode = **mode;
  switch (w.source()) {
    case v1::CHECK_IN_SOURCE_DESK:
      c.source = core::CheckInSource::kDesk;
      break;
    case v1::CHECK_IN_SOURCE_BADGE:
      c.source = core::CheckInSource::kBadge;
      break;
    case v1::CHECK_IN_SOURCE_ONLINE_JOIN:
      c.source = core::CheckInSource::kOnlineJoin;
      break;
    case v1::CHECK_IN_SOURCE_ONLINE_LEAVE:
      c.source = core::CheckInSource::kOnlineLeave;
      break;
    default:
      return absl::InvalidArgumentError(
          "source: is required (DESK, BADGE or ONLINE_JOIN)");
  }
  if (w.has_walk_in()) c.walk_in = ParticipantFromProto(w.walk_in());
  return c;
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

namespace {

void PutModes(const core::ModeCounts& m, v1::ModeCounts& w) {
  w.set_registered_in_person(m.registered_in_person);
  w.set_registered_online(m.registered_online);
  w.set_waitlisted_in_person(m.waitlisted_in_person);
  w.set_waitlisted_online(m.waitlisted_online);
  w.set_checked_in_in_person(m.checked_in_in_person);
  w.set_checked_in_online(m.checked_in_online);
  w.set_registered_total(m.registered_total());
  w.set_checked_in_total(m.checked_in_total());
}

void PutUnique(const core::UniqueAttendees& u, v1::UniqueAttendees& w) {
  w.set_in_person_only(u.in_person_only);
  w.set_online_only(u.online_only);
  w.set_both(u.both);
  w.set_total(u.total());
  w.set_walk_ins(u.walk_ins);
  if (u.first_online_join != absl::InfinitePast()) {
    *w.mutable_first_online_join() = rpc::TimeToProto(u.first_online_join);
  }
  if (u.last_online_leave != absl::InfinitePast()) {
    *w.mutable_last_online_leave() = rpc::TimeToProto(u.last_online_leave);
  }
}

v1::EventFormat FormatToWire(core::EventFormat f) {
  switch (f) {
    case core::EventFormat::kInPerson:
      return v1::EVENT_FORMAT_IN_PERSON;
    case core::EventFormat::kOnline:
      return v1::EVENT_FORMAT_ONLINE;
    case core::EventFormat::kHybrid:
      return v1::EVENT_FORMAT_HYBRID;
    case core::EventFormat::kUnspecified:
      break;
  }
  return v1::EVENT_FORMAT_UNSPECIFIED;
}

}  // namespace

v1::AttendanceCounts CountsToProto(const core::AttendanceCounts& c,
                                   absl::Time as_of) {
  v1::AttendanceCounts w;
  w.set_event_id(c.event_id);
  w.set_registrations(c.registrations);
  w.set_version(c.version);
  *w.mutable_as_of() = rpc::TimeToProto(as_of);
  for (const core::DayCounts& d : c.days) {
    v1::DayCounts* wd = w.add_days();
    wd->set_date(core::FormatLocalDate(d.date));
    PutModes(d.counts, *wd->mutable_counts());
    PutUnique(d.unique, *wd->mutable_unique());
    wd->set_in_person_capacity(d.in_person_capacity);
    wd->set_online_capacity(d.online_capacity);
    for (const core::SessionCounts& s : d.sessions) {
      v1::SessionCounts* ws = wd->add_sessions();
      ws->set_session_id(s.session_id);
      ws->set_title(s.title);
      ws->set_format(FormatToWire(s.format));
      PutModes(s.counts, *ws->mutable_counts());
      PutUnique(s.unique, *ws->mutable_unique());
      ws->set_removed(s.removed);
    }
    auto put_group = [](const core::GroupCounts& g, v1::GroupCounts& wg) {
      wg.set_key(g.key);
      wg.set_erased(g.erased);
      PutModes(g.counts, *wg.mutable_counts());
    };
    for (const core::GroupCounts& g : d.by_city) put_group(g, *wd->add_by_city());
    for (const core::GroupCounts& g : d.by_organisation) {
      put_group(g, *wd->add_by_organisation());
    }
  }
  return w;
}

}  // namespace convene::attendance
