// Positions in a resumable feed as clients hold them: an opaque token that
// carries the stream entry id and the feed's epoch (keys::StreamEpoch), so
// that a token kept across a Redis reset, or taken from another Convene,
// is refused with "resync" instead of silently skipping changes.
//
//   std::string token = EncodeStreamPosition({epoch, "1700000000000-0"});
//   absl::StatusOr<StreamPosition> p = DecodeStreamPosition(token, "position");
//   // INVALID_ARGUMENT "position: not a position this service issued"
//
// Clients must treat tokens as opaque; only the id inside orders them.
#ifndef CONVENE_STORAGE_STREAM_POSITION_H_
#define CONVENE_STORAGE_STREAM_POSITION_H_

#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/redis_client.h"

namespace convene::storage {

struct StreamPosition {
  // The feed's epoch when the token was issued (keys::StreamEpoch, stamped
  // with the stream's first entry); "" while the stream had none.
  std::string epoch;
  std::string stream_id;  // "ms-seq"
};

std::string EncodeStreamPosition(const StreamPosition& position);

// INVALID_ARGUMENT naming `field` unless `token` is one EncodeStreamPosition
// made (whatever the epoch: whether it is this feed's is for the reader).
absl::StatusOr<StreamPosition> DecodeStreamPosition(absl::string_view token,
                                                    absl::string_view field);

// The token of the newest entry of `stream_key` ("0-0" when it is empty):
// where a reader that wants only what comes next starts.
void ReadStreamHead(RedisClient& redis, const std::string& stream_key,
                    absl::AnyInvocable<void(absl::StatusOr<std::string>)> done);

// Whether a token of `position` may be read in a feed whose epoch is now
// `epoch`: the same epoch, or the start of a feed that had no entry (and so
// no epoch) yet when the token was made: nothing can have been skipped.
bool PositionFitsEpoch(const StreamPosition& position, absl::string_view epoch);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_STREAM_POSITION_H_
