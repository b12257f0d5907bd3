#include "mapping/event_mapping.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "core/city_zones.h"
#include "core/local_date_time.h"
#include "core/zone.h"
#include "core/zoned_rendering.h"
#include "mapping/wire_enum.h"
#include "rpc/proto_time.h"

namespace convene::mapping {

using rpc::TimeFromProto;
using rpc::TimeToProto;
namespace {

absl::Status MapLocal(absl::string_view field, const std::string& text,
                      absl::CivilSecond& out) {
  absl::StatusOr<absl::CivilSecond> t = core::ParseLocalDateTime(text, field);
  if (!t.ok()) return t.status();
  out = *t;
  return absl::OkStatus();
}

}  // namespace

core::LocalTimePolicy PolicyFromProto(v1::LocalTimePolicy policy) {
  switch (policy) {
    case v1::LOCAL_TIME_POLICY_RFC5545:
      return core::LocalTimePolicy::kRfc5545;
    case v1::LOCAL_TIME_POLICY_EARLIER:
      return core::LocalTimePolicy::kEarlier;
    case v1::LOCAL_TIME_POLICY_LATER:
      return core::LocalTimePolicy::kLater;
    default:
      return core::LocalTimePolicy::kReject;
  }
}

v1::LocalTimePolicy PolicyToProto(core::LocalTimePolicy policy) {
  switch (policy) {
    case core::LocalTimePolicy::kRfc5545:
      return v1::LOCAL_TIME_POLICY_RFC5545;
    case core::LocalTimePolicy::kEarlier:
      return v1::LOCAL_TIME_POLICY_EARLIER;
    case core::LocalTimePolicy::kLater:
      return v1::LOCAL_TIME_POLICY_LATER;
    case core::LocalTimePolicy::kReject:
      break;
  }
  return v1::LOCAL_TIME_POLICY_REJECT;
}

core::EventFormat FormatFromProto(v1::EventFormat format) {
  switch (format) {
    case v1::EVENT_FORMAT_IN_PERSON:
      return core::EventFormat::kInPerson;
    case v1::EVENT_FORMAT_ONLINE:
      return core::EventFormat::kOnline;
    case v1::EVENT_FORMAT_HYBRID:
      return core::EventFormat::kHybrid;
    default:
      return core::EventFormat::kUnspecified;
  }
}

v1::EventFormat FormatToProto(core::EventFormat format) {
  switch (format) {
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

core::EventKind KindFromProto(v1::EventKind kind) {
  // The two enums list the same kinds in the same order.
  return static_cast<core::EventKind>(static_cast<int>(kind));
}

v1::EventKind KindToProto(core::EventKind kind) {
  return static_cast<v1::EventKind>(static_cast<int>(kind));
}

namespace {

absl::StatusOr<core::Session> SessionFromProto(const v1::Session& ws,
                                               const std::string& field) {
  core::Session s;
  s.id = ws.id();
  s.title = ws.title();
  s.description = ws.description();
  if (absl::Status st = MapLocal(absl::StrCat(field, ".start_local"),
                                 ws.start_local(), s.start_local);
      !st.ok()) {
    return st;
  }
  if (absl::Status st = MapLocal(absl::StrCat(field, ".end_local"),
                                 ws.end_local(), s.end_local);
      !st.ok()) {
    return st;
  }
  if (absl::Status st = CheckWireEnum(absl::StrCat(field, ".format"), ws.format(),
                                      v1::EventFormat_IsValid);
      !st.ok()) {
    return st;
  }
  s.format = FormatFromProto(ws.format());
  s.room = ws.room();
  s.join_url = ws.join_url();
  return s;
}

void SessionToProto(const core::Session& s, v1::Session& ws) {
  ws.set_id(s.id);
  ws.set_title(s.title);
  ws.set_description(s.description);
  ws.set_start_local(core::FormatLocalDateTime(s.start_local));
  ws.set_end_local(core::FormatLocalDateTime(s.end_local));
  ws.set_format(FormatToProto(s.format));
  ws.set_room(s.room);
  ws.set_join_url(s.join_url);
  *ws.mutable_start_time() = TimeToProto(s.start);
  *ws.mutable_end_time() = TimeToProto(s.end);
}

}  // namespace

absl::StatusOr<core::Event> EventFromProto(const v1::Event& w) {
  core::Event e;
  e.id = w.id();
  e.title = w.title();
  e.description = w.description();
  if (absl::Status s = CheckWireEnum("event.kind", w.kind(), v1::EventKind_IsValid); !s.ok()) {
    return s;
  }
  e.kind = KindFromProto(w.kind());
  e.community = w.community();
  e.organisers.assign(w.organisers().begin(), w.organisers().end());
  e.city = w.city();
  e.country_code = w.country_code();
  if (absl::Status s = CheckWireEnum("event.format", w.format(), v1::EventFormat_IsValid);
      !s.ok()) {
    return s;
  }
  e.format = FormatFromProto(w.format());
  e.time_zone = w.time_zone();
  if (absl::Status s = MapLocal("event.start_local", w.start_local(), e.start_local);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = MapLocal("event.end_local", w.end_local(), e.end_local);
      !s.ok()) {
    return s;
  }
  e.venue.name = w.venue().name();
  e.venue.address = w.venue().address();
  e.venue.city = w.venue().city();
  e.venue.in_person_capacity = w.venue().in_person_capacity();
  e.online.platform = w.online().platform();
  e.online.join_url = w.online().join_url();
  e.online.online_capacity = w.online().online_capacity();
  for (int i = 0; i < w.sessions_size(); ++i) {
    absl::StatusOr<core::Session> s =
        SessionFromProto(w.sessions(i), absl::StrCat("event.sessions[", i, "]"));
    if (!s.ok()) return s.status();
    e.sessions.push_back(*std::move(s));
  }
  for (int i = 0; i < w.removed_sessions_size(); ++i) {
    absl::StatusOr<core::Session> s = SessionFromProto(
        w.removed_sessions(i), absl::StrCat("event.removed_sessions[", i, "]"));
    if (!s.ok()) return s.status();
    e.removed_sessions.push_back(*std::move(s));
  }
  e.allow_walk_ins = w.allow_walk_ins();
  e.organiser_contact = {w.organiser_contact().name(), w.organiser_contact().email()};
  e.check_in_margin = w.has_check_in_margin()
                          ? rpc::DurationFromProto(w.check_in_margin())
                          : core::kDefaultCheckInMargin;
  if (absl::Status s = CheckWireEnum("event.local_time_policy", w.local_time_policy(),
                                     v1::LocalTimePolicy_IsValid);
      !s.ok()) {
    return s;
  }
  e.local_time_policy = PolicyFromProto(w.local_time_policy());
  return e;
}

v1::Event EventToProto(const core::Event& e) {
  v1::Event w;
  w.set_id(e.id);
  w.set_title(e.title);
  w.set_description(e.description);
  w.set_kind(KindToProto(e.kind));
  w.set_community(e.community);
  for (const std::string& o : e.organisers) w.add_organisers(o);
  w.set_city(e.city);
  w.set_country_code(e.country_code);
  w.set_format(FormatToProto(e.format));
  w.set_time_zone(e.time_zone);
  w.set_start_local(core::FormatLocalDateTime(e.start_local));
  w.set_end_local(core::FormatLocalDateTime(e.end_local));
  v1::Venue* venue = w.mutable_venue();
  venue->set_name(e.venue.name);
  venue->set_address(e.venue.address);
  venue->set_city(e.venue.city);
  venue->set_in_person_capacity(e.venue.in_person_capacity);
  v1::OnlineAccess* online = w.mutable_online();
  online->set_platform(e.online.platform);
  online->set_join_url(e.online.join_url);
  online->set_online_capacity(e.online.online_capacity);
  for (const core::Session& s : e.sessions) SessionToProto(s, *w.add_sessions());
  for (const core::Session& s : e.removed_sessions) {
    SessionToProto(s, *w.add_removed_sessions());
  }
  w.set_status(e.status == core::EventStatus::kCancelled
                   ? v1::EVENT_STATUS_CANCELLED
                   : v1::EVENT_STATUS_SCHEDULED);
  w.set_revision(e.revision);
  *w.mutable_create_time() = TimeToProto(e.create_time);
  *w.mutable_update_time() = TimeToProto(e.update_time);
  *w.mutable_start_time() = TimeToProto(e.start);
  *w.mutable_end_time() = TimeToProto(e.end);
  w.set_cancel_reason(e.cancel_reason);
  w.set_allow_walk_ins(e.allow_walk_ins);
  if (!e.organiser_contact.name.empty() || !e.organiser_contact.email.empty()) {
    w.mutable_organiser_contact()->set_name(e.organiser_contact.name);
    w.mutable_organiser_contact()->set_email(e.organiser_contact.email);
  }
  *w.mutable_check_in_margin() = rpc::DurationToProto(e.check_in_margin);
  w.set_local_time_policy(PolicyToProto(e.local_time_policy));
  w.set_tzdata_version(e.tzdata_version);
  w.set_listed_as_whole_event(e.listed_as_whole_event);
  return w;
}

std::string EventToDocument(const core::Event& event) {
  return EventToProto(event).SerializeAsString();
}

absl::StatusOr<core::Event> EventFromDocument(const std::string& document) {
  v1::Event w;
  if (!w.ParseFromString(document)) {
    return absl::DataLossError("stored event document does not parse");
  }
  absl::StatusOr<core::Event> e = EventFromProto(w);
  if (!e.ok()) {
    return absl::DataLossError(
        absl::StrCat("stored event document is invalid: ", e.status().message()));
  }
  e->status = w.status() == v1::EVENT_STATUS_CANCELLED
                  ? core::EventStatus::kCancelled
                  : core::EventStatus::kScheduled;
  e->revision = w.revision();
  e->create_time = TimeFromProto(w.create_time());
  e->update_time = TimeFromProto(w.update_time());
  e->start = TimeFromProto(w.start_time());
  e->end = TimeFromProto(w.end_time());
  for (int i = 0; i < w.sessions_size() && i < static_cast<int>(e->sessions.size());
       ++i) {
    e->sessions[i].start = TimeFromProto(w.sessions(i).start_time());
    e->sessions[i].end = TimeFromProto(w.sessions(i).end_time());
  }
  for (int i = 0; i < w.removed_sessions_size() &&
                  i < static_cast<int>(e->removed_sessions.size());
       ++i) {
    e->removed_sessions[i].start = TimeFromProto(w.removed_sessions(i).start_time());
    e->removed_sessions[i].end = TimeFromProto(w.removed_sessions(i).end_time());
  }
  e->cancel_reason = w.cancel_reason();
  e->tzdata_version = w.tzdata_version();
  e->listed_as_whole_event = w.listed_as_whole_event();
  return e;
}

}  // namespace convene::mapping
