// MailWorker: the e-mail sink. Reads the outboxes as the consumer group
// "convene-mail" (one per deployment: replicas share the work), composes
// each notification with a recipient address as an e-mail
// (core::ComposeMime: text and HTML, a Message-ID made from the
// notification id, X-Convene-Kind and X-Convene-Notification-Id headers)
// and hands it to the MailSender (SMTP, or .eml files). The outcome is
// recorded per notification (sent, or failed with the server's reason after
// the last try) before the outbox entry is acknowledged, and a notification
// already recorded is never mailed again. A replica that dies mid-send
// leaves the entry pending; after `lease` another replica claims it; if the
// server had accepted the message before the crash, it goes out once more,
// with the same Message-ID (SMTP gives no way to know).
//
//   MailWorker mail(own_sync_connection, app, store, sender, {.from = {...}});
//   mail.Start();
#ifndef CONVENE_NOTIFICATION_MAIL_WORKER_H_
#define CONVENE_NOTIFICATION_MAIL_WORKER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mail_message.h"
#include "notification/mail_sender.h"
#include "notification/notification_app.h"
#include "notification/outbox_reader.h"
#include "notification/reminder_store.h"
#include "storage/stream_follower.h"

namespace convene::notification {

struct MailWorkerOptions {
  std::string consumer = "mail";
  core::MailAddress from = {"Convene", "convene@localhost"};
  // Longer than one message with all its retries may take.
  absl::Duration lease = absl::Minutes(5);
  absl::Duration block = absl::Milliseconds(500);
};

class MailWorker {
 public:
  static constexpr char kGroup[] = "convene-mail";

  // All must outlive the worker; `redis` is its own connection.
  MailWorker(storage::RedisSyncClient& redis, NotificationApp& app,
             storage::ReminderStore& store, const MailSender& sender, MailWorkerOptions options)
      : reader_(redis, store.shards()),
        app_(app),
        store_(store),
        sender_(sender),
        options_(std::move(options)),
        loop_("mail worker", [this](absl::Duration block) { return Step(block); },
              app.clock()) {}
  ~MailWorker();

  // Mails what the outboxes hold now; returns how many notifications it
  // handled. Blocking.
  absl::StatusOr<int> ProcessAvailable();

  void Start();
  void Stop();

 private:
  absl::StatusOr<int> Step(absl::Duration block);
  // Mails one notification unless that was done before; false: it is not
  // settled (Redis away), so its entry stays pending.
  absl::StatusOr<bool> Mail(const std::string& notification_id);

  storage::OutboxReader reader_;
  NotificationApp& app_;
  storage::ReminderStore& store_;
  const MailSender& sender_;
  MailWorkerOptions options_;
  storage::FollowLoop loop_;
};

// The X-Convene-Kind of a notification ("reminder", "event-cancelled").
std::string MailKindOf(const v1::Notification& n);

// The e-mail of a notification, from `from`.
core::MailMessage MailOf(const v1::Notification& n, const core::MailAddress& from);

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_MAIL_WORKER_H_
