// ChangeFeedRelay: copies the calendar's change stream and every event's
// attendance stream into the one change feed (keys.h {feed}), in the order
// the changes happened, so that ListChanges/WatchChanges serve schedule and
// attendance from a single position.
//
// Why a relay and not a write into the feed by each script: a Lua script may
// touch keys of one Redis Cluster slot only, and attendance writes live in
// their event's slot, the feed in its own. The relay is the one place that
// crosses slots, and it does so idempotently: each append records, in the
// same script, the newest source entry relayed, so a relay that dies
// mid-batch, or a second replica taking over its lease, appends nothing
// twice and skips nothing.
//
// One replica at a time relays (a lease in Redis, renewed while it works).
//
//   ChangeFeedRelay relay(follow, sync_redis, clock, {.owner = owner});
//   relay.Start();            // in the service
//   relay.RelayAvailable();   // in a test
#ifndef CONVENE_CALENDAR_CHANGE_FEED_RELAY_H_
#define CONVENE_CALENDAR_CHANGE_FEED_RELAY_H_

#include <cstdint>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "storage/planner_feed.h"
#include "storage/redis_sync_client.h"
#include "storage/stream_follower.h"

namespace convene::calendar {

struct ChangeFeedRelayOptions {
  // Unique per process (the lease is held in its name).
  std::string owner;
  absl::Duration lease = absl::Seconds(10);
  // How long one read waits for new entries.
  absl::Duration block = absl::Milliseconds(500);
  // How often the set of followed events is read again from the calendar.
  absl::Duration refresh = absl::Seconds(60);
  // Events are followed until this long after they end (late check-ins,
  // corrections, erasure requests); older ones again from the next refresh
  // after anything was written to them.
  absl::Duration follow_after_end = absl::Hours(24 * 30);
  int batch = 500;
  // The feed keeps about this many entries; older positions expire.
  int64_t max_entries = 1000000;
};

// The lease and source positions of the relay.
storage::FollowKeys ChangeFeedFollowKeys();

class ChangeFeedRelay {
 public:
  // `follow` must have been built with ChangeFeedFollowKeys() on a
  // connection of its own (its reads block); `redis` may be that same
  // connection. All must outlive the relay.
  ChangeFeedRelay(storage::PlannerFeed& follow, storage::RedisSyncClient& redis,
                  const core::Clock& clock, ChangeFeedRelayOptions options);
  ~ChangeFeedRelay();

  // Relays everything the sources hold now (if this replica leads) and
  // returns how many source entries it read. Blocking.
  absl::StatusOr<int> RelayAvailable();

  void Start();
  void Stop();

 private:
  absl::StatusOr<int> Step(absl::Duration block);

  storage::RedisSyncClient& redis_;
  ChangeFeedRelayOptions options_;
  // core/pseudonym.h's key, read at the first step (only the loop's thread).
  std::string pseudonym_key_;
  storage::StreamFollower follow_;
  storage::FollowLoop loop_{"change feed relay",
                           [this](absl::Duration block) { return Step(block); }, follow_};
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CHANGE_FEED_RELAY_H_
