// OutboxReader: reads the notification outbox stream as one consumer of a
// consumer group: the group is a subscriber name (or the webhook worker),
// its pending entries list is the lease on what it was handed, and entries
// left unacknowledged longer than a timeout are claimed again, by this
// consumer or another of the same group.
//
//   OutboxReader reader(own_sync_connection);
//   reader.EnsureGroup("mailer");
//   auto redelivered = reader.ClaimIdle("mailer", "mailer-1", absl::Seconds(60), 100);
//   auto fresh = reader.ReadNew("mailer", "mailer-1", 100, absl::Milliseconds(500));
//
// Blocking: give it a connection of its own.
#ifndef CONVENE_STORAGE_OUTBOX_READER_H_
#define CONVENE_STORAGE_OUTBOX_READER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/redis_sync_client.h"

namespace convene::storage {

struct OutboxEntry {
  std::string entry_id;
  std::string notification_id;
  std::string event_id;
};

class OutboxReader {
 public:
  explicit OutboxReader(RedisSyncClient& redis) : redis_(redis) {}

  // Creates the group if it does not exist, reading from the outbox's first
  // entry: a subscriber that connects late still gets what is kept.
  absl::Status EnsureGroup(const std::string& group);

  // Entries never delivered to the group, waiting up to `block`.
  absl::StatusOr<std::vector<OutboxEntry>> ReadNew(const std::string& group,
                                                   const std::string& consumer,
                                                   int count,
                                                   absl::Duration block);

  // Entries delivered to the group and not acknowledged for `min_idle`,
  // now this consumer's.
  absl::StatusOr<std::vector<OutboxEntry>> ClaimIdle(const std::string& group,
                                                     const std::string& consumer,
                                                     absl::Duration min_idle,
                                                     int count);

  // Acknowledges entries for the group without marking the notifications
  // sent (entries a subscriber's filter leaves out, or already erased).
  absl::Status Skip(const std::string& group,
                    const std::vector<std::string>& entry_ids);

 private:
  RedisSyncClient& redis_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_OUTBOX_READER_H_
