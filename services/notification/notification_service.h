// The notification service's wiring: its stores, the reminder planning that
// follows the calendar and attendance streams, the dispatcher, webhook
// delivery and the handler. convene-notification serves it alone (or runs
// it once, cron-style); convened beside the others.
//
//   host::RunServiceHost(argc, argv, options,
//                        {notification::NotificationServiceFactory(ConfigFromFlags)});
#ifndef CONVENE_NOTIFICATION_NOTIFICATION_SERVICE_H_
#define CONVENE_NOTIFICATION_NOTIFICATION_SERVICE_H_

#include <functional>

#include "absl/time/time.h"
#include "host/service_host.h"

namespace convene::notification {

// What the notification service runs beside its RPCs.
struct NotificationConfig {
  // Follow the calendar and attendance streams and plan reminders.
  bool plan = true;
  // Dispatch due reminders continuously.
  bool dispatch = true;
  // Deliver to webhooks.
  bool webhooks = true;
  // Log one line per notification (the log sink).
  bool log_sink = false;
  // How long a dispatcher holds claimed reminders before another may take
  // them.
  absl::Duration lease = absl::Seconds(30);
  // Drills only: see DispatcherOptions::hold_after_claim.
  absl::Duration hold_after_claim = absl::ZeroDuration();
};

// `config` is called when the service is made (after flags are parsed);
// empty: the defaults.
host::ServiceFactory NotificationServiceFactory(
    std::function<NotificationConfig()> config = nullptr);

// One cron-style run of the notification service: plan from what the
// streams hold, dispatch everything due, deliver to webhooks, print a
// summary line; returns the exit code.
int RunNotificationOnce(host::ServiceContext& context, const NotificationConfig& config);

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_NOTIFICATION_SERVICE_H_
