// OutboxReader: reads the notification outboxes (one stream per reminder
// shard, keys::ReminderShard::Outbox) as one consumer of a consumer group:
// the group is a subscriber name (or the webhook worker), its pending
// entries list is the lease on what it was handed, and entries left
// unacknowledged longer than a timeout are claimed again, by this consumer
// or another of the same group. A shard whose node does not answer is
// passed over, so one failing node never holds up the others' entries.
//
//   OutboxReader reader(own_sync_connection, /*shards=*/4);
//   auto redelivered = reader.ClaimIdle("mailer", "mailer-1", absl::Seconds(60), 100);
//   auto fresh = reader.ReadNew("mailer", "mailer-1", 100, absl::Milliseconds(500));
//   reader.Skip("mailer", entries_not_for_me);
//
// Blocking: give it a connection of its own. Not thread-safe.
#ifndef CONVENE_STORAGE_OUTBOX_READER_H_
#define CONVENE_STORAGE_OUTBOX_READER_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/redis_sync_client.h"

namespace convene::storage {

struct OutboxEntry {
  int shard = 0;         // whose outbox it is in
  std::string entry_id;  // within that outbox
  std::string notification_id;
  std::string event_id;
};

class OutboxReader {
 public:
  OutboxReader(RedisSyncClient& redis, int shards)
      : redis_(redis), shards_(shards < 1 ? 1 : shards) {}

  // Creates the group on every shard's outbox where it does not exist,
  // reading from the first entry: a subscriber that connects late still
  // gets what is kept. Reads do this by themselves; this reports the first
  // shard that could not be reached.
  absl::Status EnsureGroup(const std::string& group);

  // The bound on subscriber groups (see scripts/outbox_group_join.lua).
  struct GroupLimits {
    int max_groups = 100;  // subscriber groups per outbox
    absl::Duration idle = absl::Hours(24 * 7);  // unused this long: removed
    std::vector<std::string> own_groups;  // the service's senders': exempt
  };
  // A subscription's group: made where it does not exist unless `limits`
  // says there are enough (RESOURCE_EXHAUSTED naming "subscriber"), and
  // marked used at `now`, on every shard that answers; groups of others
  // unused for limits.idle are removed on the way. A stream calls this when
  // it starts and again well within limits.idle while it lasts. An error
  // other than RESOURCE_EXHAUSTED only when no shard answered.
  absl::Status Join(const std::string& group, const GroupLimits& limits, absl::Time now);

  // Entries never delivered to the group, from every shard that answers,
  // waiting up to `block` in all when none has any. An error only when no
  // shard answered.
  absl::StatusOr<std::vector<OutboxEntry>> ReadNew(const std::string& group,
                                                   const std::string& consumer,
                                                   int count,
                                                   absl::Duration block);

  // Entries delivered to the group and not acknowledged for `min_idle`,
  // now this consumer's (up to `count` per shard).
  absl::StatusOr<std::vector<OutboxEntry>> ClaimIdle(const std::string& group,
                                                     const std::string& consumer,
                                                     absl::Duration min_idle,
                                                     int count);

  // What a sink worker takes next: entries left unacknowledged for
  // `min_idle` (a dead consumer's), else new ones, waiting up to `block`.
  absl::StatusOr<std::vector<OutboxEntry>> Take(const std::string& group,
                                                const std::string& consumer,
                                                absl::Duration min_idle, int count,
                                                absl::Duration block);

  // The end of a consumer's reading: drops, on every shard that answers,
  // the group's consumers that hold no unacknowledged entry (this one and
  // any other stream's), so that consumers do not pile up in Redis. Those
  // holding entries stay until another consumer claims them.
  absl::Status Leave(const std::string& group);

  // Acknowledges entries for the group without marking the notifications
  // sent (entries a subscriber's filter leaves out, or already erased).
  absl::Status Skip(const std::string& group, const std::vector<OutboxEntry>& entries);

 private:
  // Creates the group on `shard` once (until a read finds it gone).
  absl::Status EnsureGroupOn(const std::string& group, int shard);
  // A read's outcome on `shard`: NOGROUP means the stream was deleted
  // (FLUSHALL, a restore): make the group again next time.
  void Forget(const std::string& group, int shard, const absl::Status& status);
  absl::StatusOr<std::vector<OutboxEntry>> ReadShard(const std::string& group,
                                                     const std::string& consumer, int shard,
                                                     int count, absl::Duration block);

  RedisSyncClient& redis_;
  const int shards_;
  int next_shard_ = 0;  // where the next read starts, so none is always last
  std::set<std::pair<std::string, int>> grouped_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_OUTBOX_READER_H_
