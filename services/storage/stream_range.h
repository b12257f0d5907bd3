// Reading a capped Redis Stream from a client-held position: the part every
// resumable feed (the calendar's change stream, the change feed across
// services) shares. Positions are stream entry ids; a position older than
// what the stream still keeps is refused rather than silently skipping the
// trimmed entries.
//
//   ReadStreamAfter(redis, keys::ChangeFeed(), "1700000000000-0", 100,
//                   {.field = "position", .resync = "start again with an empty position"},
//                   [](absl::StatusOr<StreamRange> r) { ... r->entries ... });
#ifndef CONVENE_STORAGE_STREAM_RANGE_H_
#define CONVENE_STORAGE_STREAM_RANGE_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/redis_client.h"
#include "storage/redis_reply.h"

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

// Up to `count` entries of `key` after `after` ("": from the start, see
// StreamPositionWording). INVALID_ARGUMENT when `after` is not a stream id;
// FAILED_PRECONDITION when entries after `after` were trimmed away, or when
// `after` lies beyond the newest entry (never issued by this stream).
void ReadStreamAfter(RedisClient& redis, std::string key, std::string after,
                     int count, StreamPositionWording wording,
                     absl::AnyInvocable<void(absl::StatusOr<StreamRange>)> done);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_STREAM_RANGE_H_
