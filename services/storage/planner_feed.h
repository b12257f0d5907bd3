// PlannerFeed: what the reminder planner reads to follow the other services
// without polling them: the calendar's change stream and each live event's
// attendance stream, from positions kept in Redis, and a lease that makes one
// replica at a time the planner. The change feed relay follows the same
// streams with a lease and positions of its own (FollowKeys).
//
//   PlannerFeed feed(sync_redis);
//   if (*feed.TryLead(owner, absl::Seconds(10))) {
//     auto entries = feed.Read(positions, 500, absl::Seconds(1));
//     ... plan ...
//     feed.SavePositions(positions);
//   }
//
// Blocking: each call waits for Redis. Give it a connection of its own (a
// blocking XREAD would hold up everything else queued on a shared one).
#ifndef CONVENE_STORAGE_PLANNER_FEED_H_
#define CONVENE_STORAGE_PLANNER_FEED_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/redis_reply.h"
#include "storage/redis_sync_client.h"

namespace convene::storage {

// One stream entry with its fields.
struct FeedEntry {
  std::string stream;  // the stream key
  std::string id;      // the entry id
  std::map<std::string, std::string> fields;
};

// Where a follower keeps its lease (a string with a TTL) and its positions
// (a hash: stream key -> last entry id processed).
struct FollowKeys {
  std::string lease;
  std::string positions;
};

class PlannerFeed {
 public:
  // `redis` must outlive the feed.
  // `keys` are the follower's own (each service's, in its keyspace).
  PlannerFeed(RedisSyncClient& redis, FollowKeys keys)
      : redis_(redis), keys_(std::move(keys)) {}

  // Takes or renews the planner lease for `owner` (true), or finds it held
  // by another replica (false).
  absl::StatusOr<bool> TryLead(const std::string& owner, absl::Duration ttl);

  // Of `streams` (key -> position), those with an entry after the position
  // (missing streams have none). One pipelined XREVRANGE per stream.
  absl::StatusOr<std::vector<std::string>> StreamsWithNews(
      const std::map<std::string, std::string>& streams);

  // Stream key -> last processed entry id; streams never processed are
  // absent.
  absl::StatusOr<std::map<std::string, std::string>> Positions();
  // Writes the positions that differ from what this feed last read or
  // wrote: a follower of hundreds of events' streams moves a few of them per
  // batch, and rewriting every one cost Redis about 100 us per batch.
  absl::Status SavePositions(const std::map<std::string, std::string>& positions);

  // Up to `count` entries per stream after each stream's position (missing:
  // from the beginning), waiting up to `block` when there are none (zero:
  // do not wait). One XREAD; on Redis Cluster, which refuses an XREAD
  // across slots, one per slot (pipelined; only entries older than the
  // pipeline's start, so no later read can reveal an earlier entry), and
  // with nothing new a pause of at most kSplitReadPause instead of a
  // blocking wait.
  absl::StatusOr<std::vector<FeedEntry>> Read(
      const std::map<std::string, std::string>& positions, int count,
      absl::Duration block);

 private:
  static constexpr absl::Duration kSplitReadPause = absl::Milliseconds(250);

  RedisSyncClient& redis_;
  FollowKeys keys_;
  // Set once Redis answered CROSSSLOT: reads go slot by slot since.
  bool split_by_slot_ = false;
  // What Redis holds as far as this feed knows (Positions, SavePositions).
  std::map<std::string, std::string> saved_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_PLANNER_FEED_H_
