#include "calendar/event_mapping.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "core/city_zones.h"
#include "core/local_date_time.h"
#include "core/zone.h"
#include "core/zoned_rendering.h"
#include "rpc/proto_time.h"

namespace convene::calendar {

using rpc::TimeFromProto;
using rpc::TimeToProto;
namespace {

// Wire enums are closed sets here: an unknown number from a newer client is
// refused by EventFromProto rather than mapped to something else.
bool IsKnown(v1::EventFormat f) { return v1::EventFormat_IsValid(f); }
bool IsKnown(v1::EventKind k) { return v1::EventKind_IsValid(k); }

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
  if (!IsKnown(ws.format())) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, ".format: unknown value ", static_cast<int>(ws.format())));
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
  if (!IsKnown(w.kind())) {
    return absl::InvalidArgumentError(
        absl::StrCat("event.kind: unknown value ", static_cast<int>(w.kind())));
  }
  e.kind = KindFromProto(w.kind());
  e.community = w.community();
  e.organisers.assign(w.organisers().begin(), w.organisers().end());
  e.city = w.city();
  e.country_code = w.country_code();
  if (!IsKnown(w.format())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "event.format: unknown value ", static_cast<int>(w.format())));
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
  e.check_in_margin = w.has_check_in_margin()
                          ? rpc::DurationFromProto(w.check_in_margin())
                          : core::kDefaultCheckInMargin;
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
  *w.mutable_check_in_margin() = rpc::DurationToProto(e.check_in_margin);
  w.set_local_time_policy(PolicyToProto(e.local_time_policy));
  w.set_tzdata_version(e.tzdata_version);
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
  return e;
}

namespace {

v1::ZonedTime AgendaTimeToProto(const core::AgendaTime& t) {
  v1::ZonedTime z;
  *z.mutable_instant() = TimeToProto(t.instant);
  z.set_venue_local(core::FormatLocalDateTime(t.venue_local));
  z.set_venue_utc_offset(core::FormatUtcOffset(t.venue_utc_offset));
  z.set_viewer_local(core::FormatLocalDateTime(t.viewer_local));
  z.set_viewer_utc_offset(core::FormatUtcOffset(t.viewer_utc_offset));
  if (t.viewer_date_differs) {
    z.set_viewer_date_if_different(
        core::FormatLocalDate(absl::CivilDay(t.viewer_local)));
  }
  return z;
}

}  // namespace

v1::Agenda AgendaToProto(const core::Agenda& a) {
  v1::Agenda w;
  w.set_event_id(a.event_id);
  w.set_title(a.title);
  w.set_venue_time_zone(a.venue_zone);
  w.set_viewer_time_zone(a.viewer_zone);
  w.set_status(a.status == core::EventStatus::kCancelled
                   ? v1::EVENT_STATUS_CANCELLED
                   : v1::EVENT_STATUS_SCHEDULED);
  w.set_revision(a.revision);
  for (const core::AgendaDay& d : a.days) {
    v1::AgendaDay* wd = w.add_days();
    wd->set_venue_date(core::FormatLocalDate(d.venue_date));
    *wd->mutable_start() = AgendaTimeToProto(d.start);
    *wd->mutable_end() = AgendaTimeToProto(d.end);
    for (const core::AgendaItem& item : d.items) {
      v1::AgendaItem* wi = wd->add_items();
      wi->set_session_id(item.session_id);
      wi->set_title(item.title);
      wi->set_format(FormatToProto(item.format));
      wi->set_room(item.room);
      wi->set_join_url(item.join_url);
      *wi->mutable_start() = AgendaTimeToProto(item.start);
      *wi->mutable_end() = AgendaTimeToProto(item.end);
    }
  }
  return w;
}

namespace {

// "HH:MM" (00:00-24:00) as minutes since midnight.
absl::StatusOr<int> ParseClockMinutes(absl::string_view text,
                                      absl::string_view field, int fallback) {
  if (text.empty()) return fallback;
  int h = 0, m = 0;
  if (text.size() != 5 || text[2] != ':' ||
      !absl::SimpleAtoi(text.substr(0, 2), &h) ||
      !absl::SimpleAtoi(text.substr(3, 2), &m) || h < 0 || h > 24 || m < 0 ||
      m > 59 || (h == 24 && m != 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", text, "\" is not a local time HH:MM"));
  }
  return h * 60 + m;
}

}  // namespace

absl::StatusOr<core::MeetingTimesRequest> MeetingRequestFromProto(
    const v1::FindMeetingTimesRequest& w) {
  absl::StatusOr<core::Zone> range_zone = core::ResolveZone(
      w.range_time_zone().empty() ? "UTC" : w.range_time_zone(), "range_time_zone");
  if (!range_zone.ok()) return range_zone.status();
  core::MeetingTimesRequest r{
      .participants = {}, .range_zone = *range_zone, .from_date = {}, .to_date = {}};
  absl::StatusOr<absl::CivilDay> from = core::ParseLocalDate(w.from_date(), "from_date");
  if (!from.ok()) return from.status();
  absl::StatusOr<absl::CivilDay> to = core::ParseLocalDate(w.to_date(), "to_date");
  if (!to.ok()) return to.status();
  r.from_date = *from;
  r.to_date = *to;
  r.duration_minutes = w.duration_minutes();
  r.step_minutes = w.step_minutes() == 0 ? 30 : w.step_minutes();
  r.max_results = w.max_results() == 0 ? 10 : w.max_results();
  if (w.participants_size() > core::kMaxMeetingParticipants) {
    return absl::InvalidArgumentError(absl::StrCat(
        "participants: at most ", core::kMaxMeetingParticipants, " are allowed"));
  }
  for (int i = 0; i < w.participants_size(); ++i) {
    const v1::MeetingParticipant& wp = w.participants(i);
    const std::string field = absl::StrCat("participants[", i, "]");
    std::string zone_name = wp.time_zone();
    if (zone_name.empty()) {
      if (wp.city().empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": give a time_zone or a city"));
      }
      absl::StatusOr<std::string> by_city =
          core::ZoneForCity(wp.city(), absl::StrCat(field, ".city"));
      if (!by_city.ok()) return by_city.status();
      zone_name = *by_city;
    }
    absl::StatusOr<core::Zone> zone =
        core::ResolveZone(zone_name, absl::StrCat(field, ".time_zone"));
    if (!zone.ok()) return zone.status();
    core::MeetingParticipant p{.name = "", .zone = *zone};
    p.name = !wp.name().empty() ? wp.name() : !wp.city().empty() ? wp.city() : zone_name;
    absl::StatusOr<int> start = ParseClockMinutes(
        wp.working_start(), absl::StrCat(field, ".working_start"), 9 * 60);
    if (!start.ok()) return start.status();
    absl::StatusOr<int> end = ParseClockMinutes(
        wp.working_end(), absl::StrCat(field, ".working_end"), 17 * 60);
    if (!end.ok()) return end.status();
    p.working_start = *start;
    p.working_end = *end;
    if (wp.working_days_size() > 0) {
      p.working_weekdays.clear();
      for (int d : wp.working_days()) {
        if (d < 1 || d > 7) {
          return absl::InvalidArgumentError(absl::StrCat(
              field, ".working_days: ", d, " is not an ISO weekday 1-7"));
        }
        p.working_weekdays.insert(d);
      }
    }
    r.participants.push_back(std::move(p));
  }
  return r;
}

v1::FindMeetingTimesResponse MeetingTimesToProto(
    const core::MeetingTimesRequest& request, const core::MeetingTimes& found) {
  v1::FindMeetingTimesResponse out;
  for (const core::MeetingSlot& slot : found.slots) {
    v1::MeetingTimeSlot* ws = out.add_slots();
    *ws->mutable_start_time() = TimeToProto(slot.start);
    *ws->mutable_end_time() = TimeToProto(slot.end);
    ws->set_score(slot.score);
    for (size_t i = 0; i < slot.participants.size(); ++i) {
      const core::MeetingParticipantTimes& p = slot.participants[i];
      v1::ParticipantLocalTime* wp = ws->add_local_times();
      wp->set_name(p.name);
      if (i < request.participants.size()) {
        wp->set_time_zone(std::string(request.participants[i].zone.name()));
      }
      wp->set_local_start(core::FormatLocalDateTime(p.start.local));
      wp->set_local_end(core::FormatLocalDateTime(p.end.local));
      wp->set_utc_offset(core::FormatUtcOffset(p.start.utc_offset));
    }
  }
  return out;
}

}  // namespace convene::calendar
