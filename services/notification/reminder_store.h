// ReminderStore: planned reminders, their dispatch under leases, the
// notifications they become, the outbox streams subscribers read, reminder
// policies and webhooks. Per-event state is partitioned into reminder
// shards by event (keys::ReminderShard, one hash tag each), so that each
// step below is one Lua script in one slot and N cluster nodes share the
// work; a dispatcher claims and completes each shard on its own.
//
//   ReminderStore store(redis, /*shards=*/4);
//   store.ReplacePlan("ev_1", "torino-1", {{key, due_ms, record}}, now, done);
//   for (int shard = 0; shard < store.shards(); ++shard) {
//     store.Claim(shard, owner, now, absl::Seconds(30), 1000, claimed_done);
//     store.Complete(shard, owner, now, delivered, completed_done);
//   }
//
// Records are opaque bytes here (serialised protos built by the
// notification app). Callbacks run on the Redis client's loop thread.
#ifndef CONVENE_STORAGE_REMINDER_STORE_H_
#define CONVENE_STORAGE_REMINDER_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/keys.h"
#include "storage/redis_client.h"

namespace convene::storage {

// One reminder to keep pending until `due_ms`.
struct PendingReminder {
  std::string key;  // "<event>/<participant>/<reminder id>"
  int64_t due_ms = 0;
  std::string record;
};

// A reminder a dispatcher holds under its lease.
struct ClaimedReminder {
  std::string key;
  std::string record;
};

// A claimed reminder as the notification it became.
struct DeliveredReminder {
  std::string key;
  std::string notification_id;
  std::string event_id;
  std::string participant_id;
  std::string record;
  // A lifecycle notice: what it tells (core::FormatNoticeState), kept as
  // what the participant was last told. Empty for a reminder.
  std::string told = {};
};

struct CompleteOutcome {
  int completed = 0;  // turned into notifications (or found already so)
  int skipped = 0;    // the lease had passed to another dispatcher
};

// A notification with its delivery state.
struct StoredNotification {
  std::string id;
  std::string record;
  std::string state;  // "pending", "sent", "failed"
  int attempts = 0;
  std::string failure_reason;
};

class ReminderStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // `redis` must outlive the store. `shards` (at least 1) must be the same
  // in every replica for the life of the deployment (VerifyShardCount). Each
  // shard's outbox keeps about `max_outbox` entries.
  explicit ReminderStore(RedisClient& redis, int shards = 1,
                         int64_t max_outbox = 1000000)
      : redis_(redis), shards_(shards < 1 ? 1 : shards), max_outbox_(max_outbox) {}

  int shards() const { return shards_; }
  // The shard holding `event_id`'s reminders and notifications.
  int ShardOf(absl::string_view event_id) const {
    return keys::ReminderShardOf(event_id, shards_);
  }

  // Records this store's shard count for the deployment if none is, and
  // fails FAILED_PRECONDITION if another was recorded: a replica with a
  // different count would look for each event's reminders in the wrong
  // shard.
  void VerifyShardCount(Callback<bool> done);

  // The reminder key of (event, participant, reminder id).
  static std::string ReminderKey(absl::string_view event_id,
                                 absl::string_view participant_id,
                                 absl::string_view reminder_id);

  // Replaces the pending reminders of one registration with `plan` (empty:
  // drops them all). Returns how many were dropped. A reminder of the plan
  // due by `now` is written only when it is still pending (planned before
  // and not sent): re-planning never loses a due, unsent reminder, and never
  // adds one that would arrive late. A reminder sent before is never written
  // again, even when an edit moved its due instant after `now`.
  // absl::InfinitePast(): write every one not sent.
  void ReplacePlan(std::string event_id, std::string participant_id,
                   std::vector<PendingReminder> plan, absl::Time now, Callback<int> done);

  // Claims up to `max` reminders of `shard` whose lease expired or that are
  // due by `now`, leased to `owner` until now + `lease`.
  void Claim(int shard, std::string owner, absl::Time now, absl::Duration lease, int max,
             Callback<std::vector<ClaimedReminder>> done);

  // Turns reminders of `shard` still leased to `owner` into notifications
  // in the shard's outbox, once per notification id.
  void Complete(int shard, std::string owner, absl::Time now,
                std::vector<DeliveredReminder> delivered,
                Callback<CompleteOutcome> done);

  // How many reminders are due by `now` and not claimed, in every shard.
  void CountDue(absl::Time now, Callback<int64_t> done);

  // The pending reminders' records of an event (every participant) or of
  // one participant (every event); both given: that registration only.
  void ListPending(std::string event_id, std::string participant_id,
                   Callback<std::vector<std::string>> done);

  // The event's notifications, oldest first, `offset` into that order.
  void ListNotifications(std::string event_id, int64_t offset, int count,
                         Callback<std::vector<StoredNotification>> done);

  // One notification; NOT_FOUND for an unknown id.
  void GetNotification(std::string notification_id,
                       Callback<StoredNotification> done);

  // Marks a notification acknowledged by subscriber group `group` (in the
  // outbox of the notification's shard).
  void Ack(std::string group, std::string notification_id, Callback<bool> done);

  // Records a delivery attempt's outcome: state "sent" or "failed".
  void SetDeliveryState(std::string notification_id, std::string state,
                        int attempts, std::string reason, Callback<bool> done);

  // What the participant was last told about their registration at the
  // event (core::FormatNoticeState), or nullopt: nothing yet. Remember...:
  // record `state` as told unless something is (a registration that was
  // there before notices existed starts from how it stands).
  void GetTold(std::string event_id, std::string participant_id,
               Callback<std::optional<std::string>> done);
  void RememberTold(std::string event_id, std::string participant_id, std::string state,
                    bool only_if_none, Callback<bool> done);

  // The e-mail sink's record of a notification ("sent|2|" ...), or nullopt
  // when it has not handled it; and its outcome, also as the delivery state.
  void GetMailState(std::string notification_id,
                    Callback<std::optional<std::string>> done);
  void SetMailState(std::string notification_id, std::string state, int attempts,
                    std::string reason, Callback<bool> done);

  // Policies: the stored record, or nullopt when none was set.
  void PutPolicy(std::string event_id, std::string record, Callback<bool> done);
  void GetPolicy(std::string event_id,
                 Callback<std::optional<std::string>> done);

  // Erases the participant from the reminder stores for `event_id` (empty:
  // every event): pending reminders, the record of which were sent, and
  // notifications' texts and outbox entries. One script per shard it touches (every shard for every event).
  struct Erased {
    int reminders = 0;
    int notifications = 0;
  };
  void ForgetParticipant(std::string participant_id, std::string event_id,
                         Callback<Erased> done);

  // Webhooks: id -> record. A new one beyond `most` in all, or beyond
  // `most_per_event` for one of `event_ids`, is refused with
  // RESOURCE_EXHAUSTED naming the field (scripts/webhook_put.lua).
  static constexpr int kMostWebhooks = 100;
  static constexpr int kMostWebhooksPerEvent = 10;
  void PutWebhook(std::string id, std::string record, std::vector<std::string> event_ids,
                  Callback<bool> done, int most = kMostWebhooks,
                  int most_per_event = kMostWebhooksPerEvent);
  void DeleteWebhook(std::string id, Callback<bool> done);  // false: unknown
  void ListWebhooks(Callback<std::vector<std::string>> done);

 private:
  keys::ReminderShard ShardOfKey(absl::string_view key_or_id) const {
    return keys::ReminderShard(ShardOf(keys::EventOfReminderKey(key_or_id)));
  }

  RedisClient& redis_;
  int shards_;
  int64_t max_outbox_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REMINDER_STORE_H_
