#include "notification/mail_worker.h"

#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/blocking_call.h"
#include "core/log.h"
#include "notification/store_call.h"

namespace convene::notification {

std::string MailKindOf(const v1::Notification& n) {
  switch (n.kind()) {
    case v1::NOTIFICATION_KIND_CANCELLATION_NOTICE: return "event-cancelled";
    case v1::NOTIFICATION_KIND_REGISTRATION_CONFIRMED: return "confirmed";
    case v1::NOTIFICATION_KIND_WAITLISTED: return "waitlisted";
    case v1::NOTIFICATION_KIND_PROMOTED: return "promoted";
    case v1::NOTIFICATION_KIND_MODE_CHANGED: return "mode-changed";
    case v1::NOTIFICATION_KIND_REGISTRATION_CANCELLED: return "cancelled";
    // Some days gone, the registration kept: named as `convene notices`
    // names it, so that a filter never files it as the whole registration.
    case v1::NOTIFICATION_KIND_DAY_CANCELLED: return "day-cancelled";
    case v1::NOTIFICATION_KIND_RESCHEDULED: return "rescheduled";
    case v1::NOTIFICATION_KIND_VENUE_CHANGED: return "venue-changed";
    default: return "reminder";
  }
}

core::MailMessage MailOf(const v1::Notification& n, const core::MailAddress& from) {
  core::MailMessage m;
  m.from = from;
  m.to = {n.recipient_name(), n.recipient_email()};
  if (core::CheckMailAddress(n.reply_to_email()).ok()) {
    m.reply_to = {n.reply_to_name(), n.reply_to_email()};
  }
  m.subject = n.subject();
  if (!n.calendar().empty()) {
    m.calendar = n.calendar();
    m.calendar_method =
        n.calendar().find("METHOD:CANCEL") != std::string::npos ? "CANCEL" : "REQUEST";
  }
  m.text = n.body();
  m.message_id = core::MessageIdFor(n.notification_id(), core::MailDomain(from.email));
  m.headers = {{"X-Convene-Kind", MailKindOf(n)},
               {"X-Convene-Notification-Id", n.notification_id()},
               {"Auto-Submitted", "auto-generated"}};
  return m;
}

MailWorker::~MailWorker() { Stop(); }

absl::StatusOr<bool> MailWorker::Mail(const std::string& notification_id) {
  absl::StatusOr<v1::Notification> n = core::BlockingCall<v1::Notification>(
      [&](auto done) { app_.GetNotification(notification_id, std::move(done)); },
      kStoreCallTimeout);
  if (absl::IsNotFound(n.status())) return true;  // erased since: nothing to mail
  if (!n.ok()) return n.status();
  // Nobody to write to (no address given, or erased): nothing to do.
  if (n->recipient_email().empty()) return true;
  if (absl::Status bad = core::CheckMailAddress(n->recipient_email()); !bad.ok()) {
    absl::StatusOr<bool> recorded = core::BlockingCall<bool>([&](auto cb) {
      store_.SetMailState(notification_id, "failed", 0,
                          absl::StrCat("recipient address ", bad.message()), std::move(cb));
    }, kStoreCallTimeout);
    if (!recorded.ok()) return recorded.status();
    return true;
  }
  absl::StatusOr<std::optional<std::string>> before =
      core::BlockingCall<std::optional<std::string>>(
          [&](auto done) { store_.GetMailState(notification_id, std::move(done)); },
          kStoreCallTimeout);
  if (!before.ok()) return before.status();
  if (before->has_value()) return true;  // mailed (or given up on) before

  const core::MailMessage message = MailOf(*n, options_.from);
  const std::string stem =
      message.message_id.substr(1, message.message_id.find('@') - 1);  // "<stem@domain>"
  const MailOutcome outcome = sender_.Send(
      {options_.from.email, n->recipient_email(), stem, core::ComposeMime(message, absl::Now())});
  if (!outcome.delivered) {
    core::LogWarn(absl::StrCat("mail ", notification_id, ": ", outcome.failure_reason));
  }
  absl::StatusOr<bool> recorded = core::BlockingCall<bool>([&](auto cb) {
    store_.SetMailState(notification_id, outcome.delivered ? "sent" : "failed", outcome.attempts,
                        outcome.failure_reason, std::move(cb));
  }, kStoreCallTimeout);
  if (!recorded.ok()) return recorded.status();
  return true;
}

absl::StatusOr<int> MailWorker::Step(absl::Duration block) {
  absl::StatusOr<std::vector<storage::OutboxEntry>> entries =
      reader_.Take(kGroup, options_.consumer, options_.lease, 20, block);
  if (!entries.ok()) return entries.status();
  std::vector<storage::OutboxEntry> settled;
  absl::Status first_error;
  for (const storage::OutboxEntry& e : *entries) {
    absl::StatusOr<bool> mailed = Mail(e.notification_id);
    if (!mailed.ok()) {
      // Left pending: claimed again after the lease.
      if (first_error.ok()) first_error = mailed.status();
      continue;
    }
    settled.push_back(e);
  }
  if (absl::Status s = reader_.Skip(kGroup, settled); !s.ok()) return s;
  if (!first_error.ok() && settled.empty()) return first_error;
  return static_cast<int>(settled.size());
}

absl::StatusOr<int> MailWorker::ProcessAvailable() { return loop_.Drain(); }

void MailWorker::Start() { loop_.Start(options_.block); }

void MailWorker::Stop() { loop_.Stop(); }

}  // namespace convene::notification
