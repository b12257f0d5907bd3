#include "notification/notification_service.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "core/blocking_call.h"
#include "core/log.h"
#include "core/mail_message.h"
#include "notification/change_follower.h"
#include "notification/event_reader.h"
#include "notification/mail_sender.h"
#include "notification/mail_worker.h"
#include "notification/notification_app.h"
#include "notification/notification_handler.h"
#include "notification/notification_subscription.h"
#include "notification/registration_copies.h"
#include "notification/reminder_dispatcher.h"
#include "notification/reminder_replanner.h"
#include "notification/webhook_sender.h"
#include "notification/webhook_worker.h"
#include "rpc/worker_pool.h"
#include "notification/event_copy_store.h"
#include "storage/owner_token.h"
#include "storage/planner_feed.h"
#include "storage/redis_sync_client.h"
#include "notification/registration_copy_store.h"
#include "notification/reminder_store.h"

ABSL_FLAG(bool, webhook_allow_private_targets, false,
          "let webhooks reach loopback, private and link-local addresses (receivers on a "
          "private network; tests). Off: such URLs are refused at CreateWebhook and at "
          "every delivery, wherever DNS points the host");

ABSL_FLAG(std::string, smtp_url, "",
          "send notifications with an e-mail address as e-mail through this SMTP server: "
          "smtp://HOST:PORT (STARTTLS when the server offers it) or smtps://HOST:PORT");
ABSL_FLAG(std::string, smtp_user, "", "SMTP AUTH user name, if the server wants one");
ABSL_FLAG(std::string, smtp_password_file, "",
          "file holding the SMTP password (else $CONVENE_SMTP_PASSWORD); never give the "
          "password itself on the command line");
ABSL_FLAG(std::string, mail_from, "convene@localhost",
          "the From address of Convene's e-mail (its domain also names the Message-IDs)");
ABSL_FLAG(std::string, mail_dir, "",
          "without --smtp_url: write each e-mail as an .eml file into this directory "
          "(for trying Convene out; the run command uses .run/mail)");
ABSL_FLAG(absl::Duration, mail_lease, absl::Minutes(5),
          "how long an e-mail being sent stays with this process before another replica may "
          "take it (it must outlast one message with all its retries)");
ABSL_FLAG(bool, notices, true,
          "send registration notices (confirmed, waitlisted, promoted, mode changed, "
          "cancelled, rescheduled, venue changed) to participants with an e-mail address; "
          "false: reminders and event cancellations only");
ABSL_FLAG(absl::Duration, notice_delay, absl::Seconds(10),
          "how long a registration notice (confirmed, waitlisted, promoted, ...) waits before "
          "it is sent: a change undone meanwhile sends none, a burst of changes sends one");
ABSL_FLAG(int, max_subscriber_groups, 100,
          "the most SubscribeNotifications subscriber groups (a name, or a name with an "
          "event filter) kept on each outbox; a stream that would make another is refused "
          "with RESOURCE_EXHAUSTED");
ABSL_FLAG(absl::Duration, subscriber_group_idle, absl::Hours(24 * 7),
          "a subscriber group no stream has used for this long is removed, with its place "
          "in the outbox and what it had not acknowledged");
ABSL_FLAG(int, reminder_shards, 1,
          "how many reminder shards ({ntf}, {ntf:1}, ...) notification's per-event state is "
          "partitioned into, by event, so that many Redis Cluster nodes share reminder work "
          "(1-256). Fixed for the life of a deployment: every replica gives the same number, "
          "and a replica started with another refuses to start");

namespace convene::notification {

namespace {

constexpr int kMaxReminderShards = 256;

// The e-mail sink's settings from the flags; nullopt: no e-mail.
absl::StatusOr<std::optional<MailSenderOptions>> MailFromFlags() {
  MailSenderOptions o;
  o.smtp_url = absl::GetFlag(FLAGS_smtp_url);
  o.mail_dir = absl::GetFlag(FLAGS_mail_dir);
  if (o.smtp_url.empty() && o.mail_dir.empty()) return std::optional<MailSenderOptions>();
  o.user = absl::GetFlag(FLAGS_smtp_user);
  if (const std::string file = absl::GetFlag(FLAGS_smtp_password_file); !file.empty()) {
    std::ifstream in(file);
    if (!in) {
      return absl::InvalidArgumentError(
          absl::StrCat("--smtp_password_file: cannot read ", file));
    }
    std::getline(in, o.password);
  } else if (const char* env = std::getenv("CONVENE_SMTP_PASSWORD")) {
    o.password = env;
  }
  if (!o.user.empty() && o.password.empty()) {
    return absl::InvalidArgumentError(
        "--smtp_user: given without a password (--smtp_password_file or "
        "$CONVENE_SMTP_PASSWORD)");
  }
  if (absl::Status s = ValidateMailSenderOptions(o); !s.ok()) return s;
  if (absl::Status s = core::CheckMailAddress(absl::GetFlag(FLAGS_mail_from)); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--mail_from: ", s.message()));
  }
  if (o.smtp_url.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.mail_dir, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("--mail_dir: cannot create ", o.mail_dir, ": ", ec.message()));
    }
  }
  return std::optional<MailSenderOptions>(std::move(o));
}

// Everything the notification service holds, owned together; members are
// destroyed in reverse, so the workers stop before what they use.
struct NotificationParts {
  NotificationParts(host::ServiceContext& context, const NotificationConfig& config,
                    std::unique_ptr<storage::RedisSyncClient> feed_connection,
                    std::unique_ptr<storage::RedisSyncClient> webhook_connection,
                    std::unique_ptr<storage::RedisSyncClient> mail_connection,
                    std::optional<MailSenderOptions> mail)
      : event_copies(context.redis),
        events(event_copies, context.redis),
        registration_store(context.redis),
        registrations(registration_store),
        reminders(context.redis, absl::GetFlag(FLAGS_reminder_shards)),
        replanner(events, registrations, reminders, context.clock,
                  absl::GetFlag(FLAGS_notices) ? absl::GetFlag(FLAGS_notice_delay)
                                               : absl::InfiniteDuration()),
        feed_redis(std::move(feed_connection)),
        feed(*feed_redis, ReminderPlannerFollowKeys()),
        owner(storage::MakeOwnerToken()),
        follower(feed, events, registrations, replanner, context.clock, {.owner = owner}),
        dispatcher(reminders, context.clock,
                   {.owner = owner,
                    .lease = config.lease,
                    .log_sink = config.log_sink,
                    .hold_after_claim = config.hold_after_claim}),
        sender(WebhookSenderOptions{
            .allow_private_targets = absl::GetFlag(FLAGS_webhook_allow_private_targets)}),
        app(events, reminders, replanner, dispatcher, context.clock),
        workers(2, 1000),
        subscriptions(context.redis_options, app,
                      {.max_groups = absl::GetFlag(FLAGS_max_subscriber_groups),
                       .idle = absl::GetFlag(FLAGS_subscriber_group_idle),
                       .own_groups = {}}),
        webhook_redis(std::move(webhook_connection)),
        webhook_worker(*webhook_redis, app, reminders, sender, {.consumer = owner}),
        mail_sender(mail.value_or(MailSenderOptions{})),
        mail_redis(std::move(mail_connection)),
        handler(app, subscriptions, workers) {
    if (mail) {
      mail_worker = std::make_unique<MailWorker>(
          *mail_redis, app, reminders, mail_sender,
          MailWorkerOptions{.consumer = owner,
                            .from = {"Convene", absl::GetFlag(FLAGS_mail_from)},
                            .lease = absl::GetFlag(FLAGS_mail_lease)});
    }
    app.set_allow_private_webhook_targets(absl::GetFlag(FLAGS_webhook_allow_private_targets));
  }

  void Start(const NotificationConfig& config) {
    if (config.plan) follower.Start();
    if (config.dispatch) dispatcher.Start();
    if (config.webhooks) webhook_worker.Start();
    if (mail_worker) mail_worker->Start();
  }

  storage::EventCopyStore event_copies;
  EventReader events;
  storage::RegistrationCopyStore registration_store;
  RegistrationCopies registrations;
  storage::ReminderStore reminders;
  ReminderReplanner replanner;
  std::unique_ptr<storage::RedisSyncClient> feed_redis;
  storage::PlannerFeed feed;
  std::string owner;
  ChangeFollower follower;
  ReminderDispatcher dispatcher;
  WebhookSender sender;
  NotificationApp app;
  rpc::WorkerPool workers;
  SubscriptionHub subscriptions;
  std::unique_ptr<storage::RedisSyncClient> webhook_redis;
  WebhookWorker webhook_worker;
  MailSender mail_sender;
  std::unique_ptr<storage::RedisSyncClient> mail_redis;
  std::unique_ptr<MailWorker> mail_worker;  // with --smtp_url or --mail_dir
  NotificationHandler handler;
};

absl::StatusOr<std::shared_ptr<NotificationParts>> MakeNotificationParts(
    host::ServiceContext& context, const NotificationConfig& config) {
  const int shards = absl::GetFlag(FLAGS_reminder_shards);
  if (shards < 1 || shards > kMaxReminderShards) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--reminder_shards: must be 1-", kMaxReminderShards, ", not ", shards));
  }
  if (absl::GetFlag(FLAGS_max_subscriber_groups) < 1) {
    return absl::InvalidArgumentError("--max_subscriber_groups: must be at least 1");
  }
  if (absl::GetFlag(FLAGS_subscriber_group_idle) < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--subscriber_group_idle: must be at least 1s");
  }
  {
    // Every replica must agree on the count. Redis not answering yet is no
    // reason to refuse to start (the client reconnects); a count recorded
    // differently is.
    storage::ReminderStore probe(context.redis, shards);
    absl::StatusOr<bool> agreed = core::BlockingCall<bool>(
        [&](auto done) { probe.VerifyShardCount(std::move(done)); }, absl::Seconds(5));
    if (absl::IsFailedPrecondition(agreed.status())) return agreed.status();
    if (!agreed.ok()) {
      core::LogWarn(absl::StrCat("reminder shard count not verified: ", agreed.status().ToString()));
    }
  }
  // The planner's and the webhook worker's reads block: connections of
  // their own.
  storage::RedisClientOptions options = context.redis_options;
  options.on_connection_change = nullptr;
  absl::StatusOr<std::unique_ptr<storage::RedisSyncClient>> feed =
      storage::RedisSyncClient::Start(options);
  if (!feed.ok()) return feed.status();
  absl::StatusOr<std::unique_ptr<storage::RedisSyncClient>> hooks =
      storage::RedisSyncClient::Start(options);
  if (!hooks.ok()) return hooks.status();
  absl::StatusOr<std::optional<MailSenderOptions>> mail = MailFromFlags();
  if (!mail.ok()) return mail.status();
  std::unique_ptr<storage::RedisSyncClient> mail_connection;
  if (mail->has_value()) {
    absl::StatusOr<std::unique_ptr<storage::RedisSyncClient>> c =
        storage::RedisSyncClient::Start(options);
    if (!c.ok()) return c.status();
    mail_connection = *std::move(c);
    core::LogInfo(absl::StrCat("e-mail: ", (*mail)->smtp_url.empty()
                                                ? absl::StrCat(".eml files in ", (*mail)->mail_dir)
                                                : absl::StrCat("SMTP ", (*mail)->smtp_url)));
  }
  return std::make_shared<NotificationParts>(context, config, *std::move(feed),
                                             *std::move(hooks), std::move(mail_connection),
                                             *std::move(mail));
}

}  // namespace

host::ServiceFactory NotificationServiceFactory(
    std::function<NotificationConfig()> make_config) {
  return {NotificationHandler::kServiceName,
          [make_config](host::ServiceContext& context) -> absl::StatusOr<host::HostedService> {
            const NotificationConfig config =
                make_config ? make_config() : NotificationConfig{};
            absl::StatusOr<std::shared_ptr<NotificationParts>> parts =
                MakeNotificationParts(context, config);
            if (!parts.ok()) return parts.status();
            (*parts)->Start(config);
            std::shared_ptr<NotificationParts> held = *parts;
            host::HostedService hosted{std::shared_ptr<grpc::Service>(held, &held->handler),
                                       [held] { held->subscriptions.CloseAll(); }};
            hosted.gauges.push_back(
                {"convene_notification_reminders_due",
                 "Reminders whose due instant has passed and that no dispatcher has sent "
                 "yet (a few while a dispatch runs; a growing number: none runs).",
                 [parts = held.get(), &clock = context.clock]() -> std::optional<double> {
                   absl::StatusOr<int64_t> due = core::BlockingCall<int64_t>(
                       [&](auto done) { parts->reminders.CountDue(clock.Now(), std::move(done)); },
                       absl::Seconds(1));
                   if (!due.ok()) return std::nullopt;
                   return static_cast<double>(*due);
                 }});
            return hosted;
          }};
}

int RunNotificationOnce(host::ServiceContext& context, const NotificationConfig& config) {
  absl::StatusOr<std::shared_ptr<NotificationParts>> parts =
      MakeNotificationParts(context, config);
  if (!parts.ok()) {
    core::LogError(absl::StrCat("--once: ", parts.status().ToString()));
    return 1;
  }
  NotificationParts& p = **parts;
  absl::StatusOr<int> changes = p.follower.ProcessAvailable();
  if (!changes.ok()) {
    core::LogError(absl::StrCat("--once: planning: ", changes.status().ToString()));
    return 1;
  }
  DispatchRun total;
  while (true) {
    absl::StatusOr<DispatchRun> run =
        p.dispatcher.RunDue(NotificationApp::kMaxRunMax);
    if (!run.ok()) {
      core::LogError(absl::StrCat("--once: dispatch: ", run.status().ToString()));
      return 1;
    }
    total.dispatched += run->dispatched;
    total.failed += run->failed;
    total.remaining_due = run->remaining_due;
    if (run->dispatched + run->failed == 0 || run->remaining_due == 0) break;
  }
  absl::StatusOr<int> hooked = p.webhook_worker.ProcessAvailable();
  if (!hooked.ok()) {
    core::LogError(absl::StrCat("--once: webhooks: ", hooked.status().ToString()));
    return 1;
  }
  if (p.mail_worker) {
    absl::StatusOr<int> mailed = p.mail_worker->ProcessAvailable();
    if (!mailed.ok()) {
      core::LogError(absl::StrCat("--once: e-mail: ", mailed.status().ToString()));
      return 1;
    }
  }
  std::printf("changes planned from: %d, dispatched: %d, failed: %d, still due: %lld\n",
              *changes, total.dispatched, total.failed,
              static_cast<long long>(total.remaining_due));
  return 0;
}

}  // namespace convene::notification
