#include "calendar/change_mapping.h"

#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "calendar/change_feed_store.h"
#include "calendar/event_mapping.h"
#include "core/pseudonym.h"
#include "mapping/registration_mapping.h"
#include "rpc/proto_time.h"
#include "storage/attendance_stream_format.h"

namespace convene::calendar {
namespace {

struct KindName {
  v1::ChangeKind kind;
  absl::string_view name;
};

constexpr KindName kKinds[] = {
    {v1::CHANGE_KIND_EVENT_CREATED, "event_created"},
    {v1::CHANGE_KIND_EVENT_UPDATED, "event_updated"},
    {v1::CHANGE_KIND_EVENT_CANCELLED, "event_cancelled"},
    {v1::CHANGE_KIND_REGISTRATION_CREATED, "registration_created"},
    {v1::CHANGE_KIND_REGISTRATION_PROMOTED, "registration_promoted"},
    {v1::CHANGE_KIND_REGISTRATION_MODE_CHANGED, "registration_mode_changed"},
    {v1::CHANGE_KIND_REGISTRATION_CANCELLED, "registration_cancelled"},
    {v1::CHANGE_KIND_CHECKED_IN, "checked_in"},
    {v1::CHANGE_KIND_CHECKED_OUT, "checked_out"},
    {v1::CHANGE_KIND_PARTICIPANT_FORGOTTEN, "participant_forgotten"},
};

const std::string& Field(const storage::FeedEntry& e, const std::string& name) {
  static const std::string* empty = new std::string;
  auto it = e.fields.find(name);
  return it == e.fields.end() ? *empty : it->second;
}

int64_t IntField(const storage::FeedEntry& e, const std::string& name) {
  int64_t v = 0;
  return absl::SimpleAtoi(Field(e, name), &v) ? v : 0;
}

// The registration as the change left it: ids, days, modes and statuses.
absl::StatusOr<v1::Registration> RegistrationOf(const storage::FeedEntry& e,
                                                absl::Time when) {
  core::Registration r;
  r.event_id = Field(e, "event");
  r.participant.participant_id = Field(e, "participant");
  r.revision = IntField(e, "revision");
  r.update_time = when;
  if (Field(e, "kind") == "registration_promoted") {
    // A promotion names the one day (and mode) that became confirmed.
    absl::StatusOr<std::vector<core::RegistrationDay>> day = storage::ParseStoredDays(
        absl::StrCat(Field(e, "date"), "=", Field(e, "mode"), "=confirmed"));
    if (!day.ok()) return day.status();
    r.days = *std::move(day);
  } else {
    absl::StatusOr<std::vector<core::RegistrationDay>> days =
        storage::ParseStoredDays(Field(e, "days"));
    if (!days.ok()) return days.status();
    r.days = *std::move(days);
  }
  r.status = core::OverallStatus(r.days);
  v1::Registration w = mapping::RegistrationToProto(r);
  w.clear_create_time();
  return w;
}

v1::CheckInSource SourceToProto(core::CheckInSource source) {
  switch (source) {
    case core::CheckInSource::kDesk:
      return v1::CHECK_IN_SOURCE_DESK;
    case core::CheckInSource::kBadge:
      return v1::CHECK_IN_SOURCE_BADGE;
    case core::CheckInSource::kOnlineJoin:
      return v1::CHECK_IN_SOURCE_ONLINE_JOIN;
    case core::CheckInSource::kOnlineLeave:
      return v1::CHECK_IN_SOURCE_ONLINE_LEAVE;
  }
  return v1::CHECK_IN_SOURCE_UNSPECIFIED;
}

absl::StatusOr<v1::CheckInRecord> CheckInOf(const storage::FeedEntry& e,
                                            absl::Time when) {
  v1::CheckInRecord w;
  w.set_event_id(Field(e, "event"));
  w.set_participant_id(Field(e, "participant"));
  const std::string& scope = Field(e, "scope");
  if (absl::StartsWith(scope, "day:")) {
    w.set_day(scope.substr(4));
  } else if (absl::StartsWith(scope, "session:")) {
    w.set_session_id(scope.substr(8));
  } else {
    return absl::DataLossError(absl::StrCat("change feed: unknown scope ", scope));
  }
  if (Field(e, "kind") == "checked_in") {
    absl::StatusOr<core::AttendanceMode> mode = storage::ParseStoredMode(Field(e, "mode"));
    if (!mode.ok()) return mode.status();
    w.set_mode(mapping::ModeToProto(*mode));
    const core::CheckInSource source = storage::ParseStoredSource(Field(e, "source"));
    w.set_source(SourceToProto(source));
    w.set_walk_in(Field(e, "walk_in") == "1");
    *w.mutable_check_in_time() = rpc::TimeToProto(when);
  } else {
    // Leaves are reported for online presence only (CheckOut).
    w.set_mode(v1::ATTENDANCE_MODE_ONLINE);
    w.set_source(v1::CHECK_IN_SOURCE_ONLINE_LEAVE);
    *w.mutable_last_leave_time() = rpc::TimeToProto(when);
  }
  return w;
}

}  // namespace

absl::StatusOr<v1::Change> ChangeToProto(const storage::FeedEntry& e) {
  v1::Change w;
  w.set_position(e.id);
  const std::string& kind = Field(e, "kind");
  for (const KindName& k : kKinds) {
    if (k.name == kind) w.set_kind(k.kind);
  }
  if (w.kind() == v1::CHANGE_KIND_UNSPECIFIED) {
    return absl::DataLossError(absl::StrCat("change feed: unknown kind ", kind));
  }
  w.set_event_id(Field(e, "event"));
  w.set_participant_id(Field(e, "participant"));
  w.set_reason(Field(e, "reason"));
  // The source entry's id is when the change was written (Redis's clock).
  const std::string& source_id = Field(e, "sid");
  int64_t ms = 0;
  absl::SimpleAtoi(source_id.substr(0, source_id.find('-')), &ms);
  const absl::Time when = absl::FromUnixMillis(ms);
  *w.mutable_change_time() = rpc::TimeToProto(when);
  if (absl::StartsWith(kind, "event_")) {
    absl::StatusOr<core::Event> event = EventFromDocument(Field(e, "doc"));
    if (!event.ok()) return event.status();
    w.set_event_revision(event->revision);
    *w.mutable_event() = EventToProto(*event);
  } else if (absl::StartsWith(kind, "registration_")) {
    absl::StatusOr<v1::Registration> r = RegistrationOf(e, when);
    if (!r.ok()) return r.status();
    *w.mutable_registration() = *std::move(r);
  } else if (absl::StartsWith(kind, "checked_")) {
    absl::StatusOr<v1::CheckInRecord> c = CheckInOf(e, when);
    if (!c.ok()) return c.status();
    *w.mutable_check_in() = *std::move(c);
  }
  if (Field(e, "pn") == "1") {
    // Named by pseudonym in the feed; the id and reason kept beside it are
    // there until the person is erased (ChangeFeedStore::Resolve).
    auto id = e.fields.find(std::string(storage::kFeedPersonId));
    if (id != e.fields.end()) SetParticipant(w, id->second);
    auto reason = e.fields.find(std::string(storage::kFeedPersonReason));
    if (reason != e.fields.end()) w.set_reason(reason->second);
  }
  return w;
}

void ShapeForAudience(v1::Change& change, const ChangeAudience& audience,
                      const storage::FeedEntry& from) {
  if (!audience.pseudonyms || change.participant_id().empty()) return;
  // Entries relayed before pseudonyms were stored hold the id itself.
  const std::string pseudonym =
      Field(from, "pn") == "1" ? Field(from, "participant")
                               : core::ParticipantPseudonym(audience.pseudonym_key,
                                                            change.event_id(),
                                                            change.participant_id());
  SetParticipant(change, pseudonym);
  change.clear_reason();
}

void SetParticipant(v1::Change& change, const std::string& pseudonym) {
  change.set_participant_id(pseudonym);
  if (change.has_registration()) {
    change.mutable_registration()->mutable_participant()->set_participant_id(pseudonym);
  }
  if (change.has_check_in()) change.mutable_check_in()->set_participant_id(pseudonym);
}

absl::StatusOr<absl::flat_hash_set<std::string>> ChangeKindNames(
    const google::protobuf::RepeatedField<int>& kinds, absl::string_view field) {
  absl::flat_hash_set<std::string> names;
  for (int kind : kinds) {
    bool known = false;
    for (const KindName& k : kKinds) {
      if (k.kind == kind) {
        names.insert(std::string(k.name));
        known = true;
      }
    }
    if (!known) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ": ", kind, " is not a change kind"));
    }
  }
  return names;
}

}  // namespace convene::calendar
