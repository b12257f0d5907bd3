// Reading a capped Redis Stream from a client-held position: the part every
// resumable feed (the calendar's change stream, the change feed across
// services) shares. Positions are tokens holding an entry id and the feed's
// epoch (stream_position.h); a position older than what the stream still
// keeps, from another epoch, or beyond the newest entry is refused rather
// than silently skipping entries.
//
//   ReadStreamAfter(redis, keys::ChangeFeed(), token, 100,
//                   {.field = "position", .resync = "start again with an empty position"},
//                   [](absl::StatusOr<StreamRange> r) {
//                     ... r->entries ... r->PositionOf(id) ...
//                   });
#ifndef CONVENE_STORAGE_STREAM_RANGE_H_
#define CONVENE_STORAGE_STREAM_RANGE_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/redis_client.h"
#include "storage/redis_reply.h"
#include "storage/stream_position.h"

namespace convene::storage {

// Compares two stream ids "ms-seq" numerically; false if either is malformed.
bool StreamIdLess(absl::string_view a, absl::string_view b);
// True for "ms-seq" with decimal parts.
bool IsStreamId(absl::string_view id);

struct StreamRange {
  // XRANGE entries: [id, [field, value, ...]].
  std::vector<RedisReply> entries;
  // The newest entry id in the stream ("0-0" when it is empty): where a
  // reader that has read everything continues from.
  std::string last_id;
  // The feed's epoch: every token made from this range carries it.
  std::string epoch;

  std::string PositionOf(absl::string_view id) const {
    return EncodeStreamPosition({epoch, std::string(id)});
  }
  std::string last_position() const { return PositionOf(last_id); }
};

// How errors about the caller's position are worded.
struct StreamPositionWording {
  // The request field holding the position ("sync_token").
  std::string field;
  // What the caller should do when it expired ("resync in full with ...").
  std::string resync;
  // An empty position reads from the oldest entry kept (true), or means
  // "from the very first entry", which has expired once anything was
  // trimmed (false: a full resync from scratch must not miss the start).
  bool empty_is_oldest_kept = false;
};

// Up to `count` entries of `key` after the position token `after` ("": from
// the start, see StreamPositionWording). INVALID_ARGUMENT when `after` is
// not a token; FAILED_PRECONDITION when it is of another epoch (another
// Redis, or this one before a reset), when entries after it were trimmed
// away, when it lies beyond the newest entry (never issued), or when the
// entry it names is gone while later ones exist (Redis lost its newest
// writes after issuing it, then took new ones).
void ReadStreamAfter(RedisClient& redis, std::string key, std::string after,
                     int count, StreamPositionWording wording,
                     absl::AnyInvocable<void(absl::StatusOr<StreamRange>)> done);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_STREAM_RANGE_H_
