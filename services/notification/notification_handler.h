// The gRPC face of convene.v1.NotificationService: checks wire input, maps
// proto to domain, calls the app layer and finishes from its callback, as
// the other services do. The two blocking jobs (SetReminderPolicy re-plans
// a whole event, RunDueReminders runs a dispatch) run on the worker pool,
// never on gRPC's callback threads.
//
//   NotificationHandler handler(app, subscriptions, workers);
//   builder.RegisterService(&handler);
#ifndef CONVENE_NOTIFICATION_NOTIFICATION_HANDLER_H_
#define CONVENE_NOTIFICATION_NOTIFICATION_HANDLER_H_

#include "convene/v1/notification.grpc.pb.h"
#include "notification/notification_app.h"
#include "notification/notification_subscription.h"
#include "rpc/worker_pool.h"

namespace convene::notification {

// Serves convene.v1.NotificationService on gRPC's callback API.
class NotificationHandler final
    : public convene::v1::NotificationService::CallbackService {
 public:
  // The fully qualified service name, as health checks and reflection use it.
  static constexpr char kServiceName[] = "convene.v1.NotificationService";

  // All must outlive the handler.
  NotificationHandler(NotificationApp& app, SubscriptionHub& subscriptions,
                      rpc::WorkerPool& workers)
      : app_(app), subscriptions_(subscriptions), workers_(workers) {}

  grpc::ServerUnaryReactor* SetReminderPolicy(
      grpc::CallbackServerContext* context,
      const v1::SetReminderPolicyRequest* request,
      v1::ReminderPolicy* response) override;
  grpc::ServerUnaryReactor* GetReminderPolicy(
      grpc::CallbackServerContext* context,
      const v1::GetReminderPolicyRequest* request,
      v1::ReminderPolicy* response) override;
  grpc::ServerUnaryReactor* RunDueReminders(
      grpc::CallbackServerContext* context,
      const v1::RunDueRemindersRequest* request,
      v1::RunDueRemindersResponse* response) override;
  grpc::ServerWriteReactor<v1::Notification>* SubscribeNotifications(
      grpc::CallbackServerContext* context,
      const v1::SubscribeNotificationsRequest* request) override;
  grpc::ServerUnaryReactor* AckNotification(
      grpc::CallbackServerContext* context,
      const v1::AckNotificationRequest* request,
      v1::AckNotificationResponse* response) override;
  grpc::ServerUnaryReactor* ListScheduledReminders(
      grpc::CallbackServerContext* context,
      const v1::ListScheduledRemindersRequest* request,
      v1::ListScheduledRemindersResponse* response) override;
  grpc::ServerUnaryReactor* ListNotifications(
      grpc::CallbackServerContext* context,
      const v1::ListNotificationsRequest* request,
      v1::ListNotificationsResponse* response) override;
  grpc::ServerUnaryReactor* CreateWebhook(
      grpc::CallbackServerContext* context,
      const v1::CreateWebhookRequest* request, v1::Webhook* response) override;
  grpc::ServerUnaryReactor* ListWebhooks(
      grpc::CallbackServerContext* context,
      const v1::ListWebhooksRequest* request,
      v1::ListWebhooksResponse* response) override;
  grpc::ServerUnaryReactor* DeleteWebhook(
      grpc::CallbackServerContext* context,
      const v1::DeleteWebhookRequest* request,
      v1::DeleteWebhookResponse* response) override;

 private:
  NotificationApp& app_;
  SubscriptionHub& subscriptions_;
  rpc::WorkerPool& workers_;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_NOTIFICATION_HANDLER_H_
