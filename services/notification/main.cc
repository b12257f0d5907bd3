// convene-notification: serves convene.v1.NotificationService and runs the
// reminder job (planning from the change streams, dispatch, webhooks), or
// with --once dispatches what is due and exits (for cron-style runs).
#include <optional>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "host/service_host.h"
#include "notification/notification_service.h"

ABSL_FLAG(bool, once, false,
          "plan from the change streams, dispatch what is due, deliver to "
          "webhooks, print a summary and exit (no server)");
ABSL_FLAG(bool, log_sink, false, "log one line per notification dispatched");
ABSL_FLAG(bool, dispatch, true, "dispatch due reminders continuously");
ABSL_FLAG(bool, plan, true, "plan reminders from the calendar and attendance streams");
ABSL_FLAG(bool, webhooks, true, "deliver notifications to the registered webhooks");
ABSL_FLAG(absl::Duration, dispatch_lease, absl::Seconds(30),
          "how long claimed reminders stay with this process before another "
          "replica may take them (it must outlast one batch)");
ABSL_FLAG(absl::Duration, dispatch_hold_for_testing, absl::ZeroDuration(),
          "fault drills only: wait this long between claiming reminders and "
          "completing them");

namespace {

convene::notification::NotificationConfig ConfigFromFlags() {
  return {.plan = absl::GetFlag(FLAGS_plan),
          .dispatch = absl::GetFlag(FLAGS_dispatch),
          .webhooks = absl::GetFlag(FLAGS_webhooks),
          .log_sink = absl::GetFlag(FLAGS_log_sink),
          .lease = absl::GetFlag(FLAGS_dispatch_lease),
          .hold_after_claim = absl::GetFlag(FLAGS_dispatch_hold_for_testing)};
}

}  // namespace

int main(int argc, char** argv) {
  convene::host::HostOptions options{
      .name = "convene-notification",
      .usage = "Serves convene.v1.NotificationService and runs the reminder job.\n"
               "  convene-notification --listen=127.0.0.1:50053 --redis=unix:///path/redis.sock\n"
               "  convene-notification --once --redis=...   # dispatch what is due, exit",
      .instead_of_serving =
          [](convene::host::ServiceContext& context) -> std::optional<int> {
        if (!absl::GetFlag(FLAGS_once)) return std::nullopt;
        return convene::notification::RunNotificationOnce(context, ConfigFromFlags());
      }};
  return convene::host::RunServiceHost(
      argc, argv, options, {convene::notification::NotificationServiceFactory(ConfigFromFlags)});
}
