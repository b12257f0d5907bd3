#include "notification/notification_handler.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "auth/rpc_policy.h"
#include "auth/token_authenticator.h"
#include "rpc/proto_time.h"
#include "rpc/status_conversion.h"
#include "rpc/unary_reply.h"

namespace convene::notification {

grpc::ServerUnaryReactor* NotificationHandler::SetReminderPolicy(
    grpc::CallbackServerContext* context, const v1::SetReminderPolicyRequest* request,
    v1::ReminderPolicy* response) {
  return rpc::FinishOnPool(context, workers_, [this, request, response, context]() -> absl::Status {
    if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) return s;
    // Unknown numbers were refused by AdmitRequest; REMINDER and
    // CANCELLATION_NOTICE are kinds, but not notices one may mute.
    for (int i = 0; i < request->policy().muted_notices_size(); ++i) {
      const int kind = request->policy().muted_notices(i);
      if (!NoticeKindFromProto(kind)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "policy.muted_notices[", i, "]: ", v1::NotificationKind_Name(kind),
            " is not a registration notice kind (REGISTRATION_CONFIRMED .. VENUE_CHANGED)"));
      }
    }
    absl::StatusOr<core::ReminderPolicy> set =
        app_.SetReminderPolicy(PolicyFromProto(request->policy()));
    if (!set.ok()) return set.status();
    *response = PolicyToProto(*set);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* NotificationHandler::GetReminderPolicy(
    grpc::CallbackServerContext* context, const v1::GetReminderPolicyRequest* request,
    v1::ReminderPolicy* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.GetReminderPolicy(request->event_id(),
                         rpc::Reply<core::ReminderPolicy>(
                             reactor, response,
                             [](const core::ReminderPolicy& p, v1::ReminderPolicy& out) {
                               out = PolicyToProto(p);
                             }));
  return reactor;
}

grpc::ServerUnaryReactor* NotificationHandler::RunDueReminders(
    grpc::CallbackServerContext* context, const v1::RunDueRemindersRequest* request,
    v1::RunDueRemindersResponse* response) {
  return rpc::FinishOnPool(context, workers_, [this, request, response, context]() -> absl::Status {
    if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) return s;
    absl::StatusOr<DispatchRun> run = app_.RunDueReminders(request->max_reminders());
    if (!run.ok()) return run.status();
    response->set_dispatched(run->dispatched);
    response->set_failed(run->failed);
    response->set_remaining_due(static_cast<int32_t>(run->remaining_due));
    return absl::OkStatus();
  });
}

grpc::ServerWriteReactor<v1::Notification>* NotificationHandler::SubscribeNotifications(
    grpc::CallbackServerContext* context,
    const v1::SubscribeNotificationsRequest* request) {
  absl::Status allowed = auth::AdmitRequest(*context, *request);
  if (!allowed.ok()) return rpc::FinishStreamNow<v1::Notification>(allowed);
  absl::StatusOr<std::shared_ptr<void>> ticket = auth::AcquireStream(*context);
  if (!ticket.ok()) return rpc::FinishStreamNow<v1::Notification>(ticket.status());
  return subscriptions_.Open(context, request, *std::move(ticket));
}

grpc::ServerUnaryReactor* NotificationHandler::AckNotification(
    grpc::CallbackServerContext* context, const v1::AckNotificationRequest* request,
    v1::AckNotificationResponse*) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  // Notification ids start with their event's id. One outside the caller's
  // scope answers exactly as an unknown one, so a scoped caller learns
  // nothing of other events' notifications.
  const std::string& id = request->notification_id();
  const std::string event = id.substr(0, id.find('/'));
  if (!id.empty() && !auth::CallerCovers(*context, {event})) {
    return rpc::FinishNow(context, absl::NotFoundError(absl::StrCat(
                                       "notification_id: ", id, " is not a notification")));
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.AckNotification(request->subscriber(), id, [reactor](absl::Status s) {
    reactor->Finish(rpc::ToGrpcStatus(s));
  });
  return reactor;
}

grpc::ServerUnaryReactor* NotificationHandler::ListScheduledReminders(
    grpc::CallbackServerContext* context,
    const v1::ListScheduledRemindersRequest* request,
    v1::ListScheduledRemindersResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  using Page = NotificationApp::Page<v1::ScheduledReminder>;
  app_.ListScheduledReminders(
      request->event_id(), request->participant_id(), request->page_size(),
      request->page_token(),
      rpc::Reply<Page>(reactor, response,
                       [](const Page& page, v1::ListScheduledRemindersResponse& out) {
                         for (const v1::ScheduledReminder& r : page.items) {
                           *out.add_reminders() = r;
                         }
                         out.set_next_page_token(page.next_page_token);
                       }));
  return reactor;
}

grpc::ServerUnaryReactor* NotificationHandler::ListNotifications(
    grpc::CallbackServerContext* context, const v1::ListNotificationsRequest* request,
    v1::ListNotificationsResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  using Page = NotificationApp::Page<v1::Notification>;
  app_.ListNotifications(request->event_id(), request->state(), request->page_size(),
                         request->page_token(),
                         rpc::Reply<Page>(reactor, response,
                                          [](const Page& page, v1::ListNotificationsResponse& out) {
                                            for (const v1::Notification& n : page.items) {
                                              *out.add_notifications() = n;
                                            }
                                            out.set_next_page_token(page.next_page_token);
                                          }));
  return reactor;
}

grpc::ServerUnaryReactor* NotificationHandler::CreateWebhook(
    grpc::CallbackServerContext* context, const v1::CreateWebhookRequest* request,
    v1::Webhook* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.CreateWebhook(request->webhook(),
                     rpc::Reply<v1::Webhook>(reactor, response,
                                             [](const v1::Webhook& made, v1::Webhook& out) {
                                               out = made;
                                             }));
  return reactor;
}

grpc::ServerUnaryReactor* NotificationHandler::ListWebhooks(
    grpc::CallbackServerContext* context, const v1::ListWebhooksRequest* request,
    v1::ListWebhooksResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.ListWebhooks(false, [context, reactor, response](
                               absl::StatusOr<std::vector<v1::Webhook>> hooks) {
    if (hooks.ok()) {
      for (v1::Webhook& h : *hooks) {
        if (auth::CallerCovers(*context, {h.event_ids().begin(), h.event_ids().end()})) {
          *response->add_webhooks() = std::move(h);
        }
      }
    }
    reactor->Finish(rpc::ToGrpcStatus(hooks.status()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* NotificationHandler::DeleteWebhook(
    grpc::CallbackServerContext* context, const v1::DeleteWebhookRequest* request,
    v1::DeleteWebhookResponse*) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return rpc::FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // A webhook outside the caller's scope answers as an unknown one.
  app_.ListWebhooks(false, [this, context, reactor, request](
                               absl::StatusOr<std::vector<v1::Webhook>> hooks) {
    if (!hooks.ok()) return reactor->Finish(rpc::ToGrpcStatus(hooks.status()));
    for (const v1::Webhook& h : *hooks) {
      if (h.id() == request->webhook_id() &&
          !auth::CallerCovers(*context, {h.event_ids().begin(), h.event_ids().end()})) {
        return reactor->Finish(rpc::ToGrpcStatus(absl::NotFoundError(
            absl::StrCat("webhook_id: ", request->webhook_id(), " is not a webhook"))));
      }
    }
    app_.DeleteWebhook(request->webhook_id(), [reactor](absl::Status s) {
      reactor->Finish(rpc::ToGrpcStatus(s));
    });
  });
  return reactor;
}

}  // namespace convene::notification
