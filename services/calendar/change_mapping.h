// The change feed across services on the wire: feed entries (ids, days,
// modes, statuses, the event document; never a person's name or e-mail) to
// convene.v1.Change, and ChangeKind to the feed's kind names.
#ifndef CONVENE_CALENDAR_CHANGE_MAPPING_H_
#define CONVENE_CALENDAR_CHANGE_MAPPING_H_

#include <string>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "convene/v1/calendar.pb.h"
#include "google/protobuf/repeated_field.h"
#include "storage/planner_feed.h"

namespace convene::calendar {

// DATA_LOSS for an entry whose fields cannot be read.
absl::StatusOr<v1::Change> ChangeToProto(const storage::FeedEntry& entry);

// Whom the feed may name to a caller: the participant ids themselves, or,
// for a caller that sees no personal data (core::ParticipantViewOf), the
// pseudonyms made with `pseudonym_key` (core/pseudonym.h).
struct ChangeAudience {
  bool pseudonyms = false;
  std::string pseudonym_key;
};

// `change` (ChangeToProto of `from`) as `audience` may see it: with
// pseudonyms, every participant id in it (the change's, its registration's,
// its check-in's) is replaced by the person's pseudonym, and a participant's
// change carries no reason (an organiser's free text about that person).
// Callers who see ids get them, and the reasons, only while the person is
// not erased: afterwards they see what an integration sees.
void ShapeForAudience(v1::Change& change, const ChangeAudience& audience,
                      const storage::FeedEntry& from);

// Sets every participant id in `change` (the change's, its registration's,
// its check-in's) to `id`.
void SetParticipant(v1::Change& change, const std::string& id);

// The feed kind names of `kinds`; INVALID_ARGUMENT naming `field` for
// UNSPECIFIED or an unknown value.
absl::StatusOr<absl::flat_hash_set<std::string>> ChangeKindNames(
    const google::protobuf::RepeatedField<int>& kinds, absl::string_view field);

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CHANGE_MAPPING_H_
