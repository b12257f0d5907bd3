// WebhookWorker: the webhook sink. Reads the outbox as the consumer group
// "convene-webhooks" (one per deployment: replicas share the work), POSTs
// each notification to every webhook whose filter it matches and that
// existed when it was created, and records the outcome: sent when every
// webhook took it, failed with the reason after the last try. A replica that
// dies mid-delivery leaves the entry pending; after `lease` another replica
// claims it and delivers again under the same idempotency key.
//
//   WebhookWorker worker(own_sync_connection, app, sender, {});
//   worker.Start();
#ifndef CONVENE_NOTIFICATION_WEBHOOK_WORKER_H_
#define CONVENE_NOTIFICATION_WEBHOOK_WORKER_H_

#include <string>

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
  // Longer than one delivery with all its retries may take.
  absl::Duration lease = absl::Minutes(5);
  absl::Duration block = absl::Milliseconds(500);
};

class WebhookWorker {
 public:
  static constexpr char kGroup[] = "convene-webhooks";

  // All must outlive the worker; `redis` is its own connection.
  WebhookWorker(storage::RedisSyncClient& redis, NotificationApp& app,
                storage::ReminderStore& store, const WebhookSender& sender,
                WebhookWorkerOptions options)
      : reader_(redis, store.shards()),
        app_(app),
        store_(store),
        sender_(sender),
        options_(std::move(options)),
        loop_("webhook worker", [this](absl::Duration block) { return Step(block); },
              app.clock()) {}
  ~WebhookWorker();

  // Delivers what the outbox holds for the webhooks now; returns how many
  // notifications it handled. Blocking.
  absl::StatusOr<int> ProcessAvailable();

  void Start();
  void Stop();

 private:
  absl::StatusOr<int> Step(absl::Duration block);

  storage::OutboxReader reader_;
  NotificationApp& app_;
  storage::ReminderStore& store_;
  const WebhookSender& sender_;
  WebhookWorkerOptions options_;
  storage::FollowLoop loop_;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_WEBHOOK_WORKER_H_
