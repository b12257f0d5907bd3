// SubscribeNotifications: one server stream per external sender. Each
// stream reads the outbox as a consumer of the group named by its
// subscriber (so subscribers of one name share the work, each notification
// going to one of them), writes what it reads, and hands out again what was
// not acknowledged within ack_timeout. Each stream has a thread and a Redis
// connection of its own, because the reads block; the number of streams is
// what bounds both.
//
//   SubscriptionHub hub(redis_options, app);
//   return hub.Open(context, request);  // in the handler
//   hub.CloseAll();                     // at shutdown
#ifndef CONVENE_NOTIFICATION_NOTIFICATION_SUBSCRIPTION_H_
#define CONVENE_NOTIFICATION_NOTIFICATION_SUBSCRIPTION_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "convene/v1/notification.grpc.pb.h"
#include "notification/notification_app.h"
#include "notification/outbox_reader.h"
#include "storage/redis_client_options.h"

namespace convene::notification {

class NotificationSubscription;

class SubscriptionHub {
 public:
  // `app` must outlive the hub. `limits` bound the subscriber groups
  // (own_groups is filled in here).
  SubscriptionHub(storage::RedisClientOptions options, NotificationApp& app,
                  storage::OutboxReader::GroupLimits limits = {});
  // CloseAll().
  ~SubscriptionHub();

  // A new stream for `request` (an invalid request finishes it at once with
  // INVALID_ARGUMENT); it holds `ticket` while it lives.
  grpc::ServerWriteReactor<v1::Notification>* Open(
      grpc::CallbackServerContext* context,
      const v1::SubscribeNotificationsRequest* request,
      std::shared_ptr<void> ticket = nullptr);

  // Ends every stream and waits for their threads (server shutdown).
  void CloseAll();

 private:
  friend class NotificationSubscription;
  void Finished(NotificationSubscription* s);

  const storage::RedisClientOptions options_;
  NotificationApp& app_;
  const storage::OutboxReader::GroupLimits limits_;
  absl::Mutex mu_;
  absl::flat_hash_set<NotificationSubscription*> open_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_NOTIFICATION_SUBSCRIPTION_H_
