#include "attendance/registration_mapping.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "core/page_token.h"
#include "core/local_date_time.h"
#include "mapping/event_mapping.h"
#include "rpc/proto_time.h"

namespace convene::attendance {

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

}  // namespace

v1::AttendanceCounts CountsToProto(const core::AttendanceCounts& c,
                                   absl::Time as_of) {
  v1::AttendanceCounts w;
  w.set_event_id(c.event_id);
  w.set_registrations(c.registrations);
  w.set_version(c.version);
  w.set_event_revision(c.event_revision);
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
      ws->set_format(mapping::FormatToProto(s.format));
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

absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>> CountsForDays(
    std::shared_ptr<const v1::AttendanceCounts> all, const std::vector<std::string>& days,
    bool check_days) {
  std::shared_ptr<const v1::AttendanceCounts> out = all;
  if (!days.empty()) {
    absl::flat_hash_set<std::string> wanted;
    for (size_t i = 0; i < days.size(); ++i) {
      if (!check_days) {
        wanted.insert(days[i]);
        continue;
      }
      const std::string field = absl::StrCat("days[", i, "]");
      if (absl::StatusOr<absl::CivilDay> d = core::ParseLocalDate(days[i], field); !d.ok()) {
        return d.status();
      }
      if (!wanted.insert(days[i]).second) {
        return absl::InvalidArgumentError(absl::StrCat(field, ": ", days[i], " is listed twice"));
      }
      bool known = false;
      for (const v1::DayCounts& d : all->days()) known = known || d.date() == days[i];
      if (!known) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ": ", days[i], " is not a day of the event"));
      }
    }
    auto some = std::make_shared<v1::AttendanceCounts>(*all);
    some->clear_days();
    for (const v1::DayCounts& d : all->days()) {
      if (wanted.contains(d.date())) *some->add_days() = d;
    }
    out = std::move(some);
  }
  const size_t bytes = out->ByteSizeLong();
  if (bytes > core::kMaxPageBytes) {
    return absl::OutOfRangeError(absl::StrCat(
        "days: the counts of ", out->days_size(), " days are ", bytes,
        " bytes, more than one answer holds (", core::kMaxPageBytes,
        "); ask for fewer days"));
  }
  return out;
}

}  // namespace convene::attendance
