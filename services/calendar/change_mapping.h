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

// The feed kind names of `kinds`; INVALID_ARGUMENT naming `field` for
// UNSPECIFIED or an unknown value.
absl::StatusOr<absl::flat_hash_set<std::string>> ChangeKindNames(
    const google::protobuf::RepeatedField<int>& kinds, absl::string_view field);

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CHANGE_MAPPING_H_
