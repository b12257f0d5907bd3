// WebhookWorker: the webhook sink. Reads the outbox as the consumer group
// "convene-webhooks" (one per deployment: replicas share the work), POSTs
// each notification to every webhook whose filter it matches and that
// existed when it was created, and records the outcome: sent when every
// webhook took it, failed with the reasons when one was given up on.
//
// One receiver must not hold up the others, so each pass sends one try per
// delivery, each webhook on a thread of its own (a lane, in outbox order),
// and a receiver that fails a try (no answer, 408, 429, 5xx) is parked: its
// deliveries wait, untried, for first_park, doubling up to max_park, while
// the other webhooks' go on. An entry stays unacknowledged until all its
// webhooks are settled; what each webhook made of it (taken, or tries and
// the last reason) is kept in Redis beside the outbox, so that a retry
// goes to the webhooks that have not taken it yet. A delivery is given up
// (FAILED with the reason) after max_attempts tries, at once for an answer
// a retry cannot change (other 4xx, 3xx), or when it has waited
// give_up_after on this replica. A replica that dies leaves its entries
// pending; after `lease` another claims them and sends what was not taken,
// under the same idempotency key (a try whose answer was lost is sent
// again: at least once, the key tells the receiver).
//
//   WebhookWorker worker(own_sync_connection, app, store, sender, {});
//   worker.Start();
#ifndef CONVENE_NOTIFICATION_WEBHOOK_WORKER_H_
#define CONVENE_NOTIFICATION_WEBHOOK_WORKER_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "notification/notification_app.h"
#include "notification/webhook_sender.h"
#include "notification/outbox_reader.h"
#include "notification/reminder_store.h"
#include "storage/stream_follower.h"

namespace convene::notification {

struct WebhookWorkerOptions {
  std::string consumer = "webhooks";
  // How long an entry may stay with a replica before another takes it
  // over; longer than a pass (a try is at most the sender's request
  // timeout), and than a replica keeps a parked delivery before giving up.
  absl::Duration lease = absl::Minutes(5);
  absl::Duration block = absl::Milliseconds(500);
  int max_attempts = 5;  // tries per notification and webhook
  absl::Duration first_park = absl::Seconds(1);
  absl::Duration max_park = absl::Minutes(5);
  absl::Duration give_up_after = absl::Minutes(4);
  // A lane starts no further try after this long in one pass, so that a
  // slow but answering receiver does not hold up the next pass.
  absl::Duration lane_budget = absl::Seconds(2);
};

class WebhookWorker {
 public:
  static constexpr char kGroup[] = "convene-webhooks";

  // All must outlive the worker; `redis` is its own connection.
  WebhookWorker(storage::RedisSyncClient& redis, NotificationApp& app,
                storage::ReminderStore& store, const WebhookSender& sender,
                WebhookWorkerOptions options)
      : redis_(redis),
        reader_(redis, store.shards()),
        app_(app),
        store_(store),
        sender_(sender),
        options_(std::move(options)),
        loop_("webhook worker", [this](absl::Duration block) { return Step(block); },
              app.clock()) {}
  ~WebhookWorker();

  // Delivers what the outbox holds for the webhooks now, one try per
  // delivery whose receiver is not parked, waiting for the tries; returns
  // how many notifications it finished (sent or failed). What is left
  // waiting stays pending for a later run after `lease`. Blocking; not
  // while Start()ed.
  absl::StatusOr<int> ProcessAvailable();

  void Start();
  void Stop();

 private:
  // One receiver's health on this replica.
  struct Receiver {
    int failures = 0;  // tries failed in a row
    absl::Time parked_until = absl::InfinitePast();
  };
  // What a webhook made of a notification (kept in Redis too).
  struct Progress {
    std::string verdict;  // "ok", "fail", "retry", or empty: not tried yet
    int tries = 0;
    std::string reason;
  };
  // An entry this replica is working on.
  struct Work {
    storage::OutboxEntry entry;
    absl::Time since;  // when this replica first had it
    bool found = false;  // the notification still exists
    std::string body;
    std::string idempotency_key;
    absl::Time create_time;
    std::string event_id;
    std::map<std::string, Progress> progress;  // by webhook id
    int in_flight = 0;  // tries running in lanes
  };
  // One receiver's tries in progress, on a thread of its own.
  struct Lane {
    std::string hook_id;
    std::vector<std::pair<std::string, WebhookDelivery>> items;  // by entry key
    std::vector<std::pair<std::string, WebhookOutcome>> results;
    std::atomic<bool> done{false};
    std::thread thread;
  };

  absl::StatusOr<int> Step(absl::Duration block);
  // Applies the outcomes of `lane` (joined) to the work and to Redis.
  absl::Status Apply(Lane& lane);
  // Joins the lanes that are done (all of them with `all`) and applies them.
  absl::Status Collect(bool all);

  storage::RedisSyncClient& redis_;
  storage::OutboxReader reader_;
  NotificationApp& app_;
  storage::ReminderStore& store_;
  const WebhookSender& sender_;
  WebhookWorkerOptions options_;
  // Only the loop's thread touches these (a lane only its own Lane).
  absl::flat_hash_map<std::string, Receiver> receivers_;
  std::map<std::string, Work> work_;  // by "<shard>/<entry id>", in outbox order per shard
  absl::flat_hash_map<std::string, std::unique_ptr<Lane>> lanes_;  // by webhook id
  // ProcessAvailable: each pass waits for its tries (--once).
  bool wait_for_lanes_ = false;
  int finished_ = 0;
  storage::FollowLoop loop_;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_WEBHOOK_WORKER_H_
