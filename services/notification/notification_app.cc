#include "notification/notification_app.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/blocking_call.h"
#include "core/iso_duration.h"
#include "core/local_date_time.h"
#include "core/text_limits.h"
#include "core/zone.h"
#include "core/zoned_rendering.h"
#include "notification/store_call.h"
#include "notification/webhook_sender.h"
#include "rpc/proto_time.h"

namespace convene::notification {
namespace {

absl::StatusOr<int64_t> ParseOffsetToken(const std::string& token) {
  if (token.empty()) return 0;
  int64_t offset = 0;
  if (!absl::SimpleAtoi(token, &offset) || offset < 0) {
    return absl::InvalidArgumentError(
        "page_token: is not a token this service returned");
  }
  return offset;
}

// "event-P7D" / "day-2022-03-16-PT1H" -> kind and offset.
void DescribeReminderId(const std::string& id, v1::ScheduledReminder& out) {
  if (absl::StartsWith(id, "event-")) {
    out.set_kind(v1::REMINDER_KIND_BEFORE_EVENT);
    if (auto d = core::ParseIsoDuration(id.substr(6)); d.ok()) {
      *out.mutable_offset() = rpc::DurationToProto(*d);
    }
  } else if (absl::StartsWith(id, "day-") && id.size() > 15) {
    out.set_kind(v1::REMINDER_KIND_BEFORE_DAY);
    if (auto d = core::ParseIsoDuration(id.substr(15)); d.ok()) {
      *out.mutable_offset() = rpc::DurationToProto(*d);
    }
  }
}

v1::NotificationState StateFromText(const std::string& state) {
  if (state == "sent") return v1::NOTIFICATION_STATE_SENT;
  if (state == "failed") return v1::NOTIFICATION_STATE_FAILED;
  return v1::NOTIFICATION_STATE_PENDING;
}

std::string NewWebhookId() {
  std::random_device random;
  return absl::StrFormat("wh_%08x%08x", random(), random());
}

}  // namespace

v1::Notification WithState(v1::Notification n,
                           const storage::StoredNotification& stored) {
  n.set_notification_id(stored.id);
  n.set_state(StateFromText(stored.state));
  n.set_attempts(stored.attempts);
  n.set_failure_reason(stored.failure_reason);
  return n;
}

absl::Status ValidateSubscriberName(const std::string& name) {
  if (name.empty() || name.size() > 64 ||
      !std::all_of(name.begin(), name.end(), [](char c) {
        return absl::ascii_isalnum(c) || c == '.' || c == '_' || c == '-';
      })) {
    return absl::InvalidArgumentError(
        "subscriber: must be 1-64 characters of [A-Za-z0-9._-]");
  }
  return absl::OkStatus();
}

absl::Status NotificationApp::CheckEvent(const std::string& event_id) {
  if (event_id.empty()) return absl::InvalidArgumentError("event_id: is required");
  return core::BlockingCall<core::Event>([&](auto done) {
           events_.GetEvent(event_id, std::move(done));
         }, kStoreCallTimeout)
      .status();
}

absl::StatusOr<core::ReminderPolicy> NotificationApp::SetReminderPolicy(
    core::ReminderPolicy policy) {
  policy.is_default = false;
  if (absl::Status s = core::ValidateReminderPolicy(policy); !s.ok()) return s;
  if (absl::Status s = CheckEvent(policy.event_id); !s.ok()) return s;
  policy.update_time = clock_.Now();
  absl::StatusOr<bool> put = core::BlockingCall<bool>([&](auto done) {
    reminders_.PutPolicy(policy.event_id,
                         PolicyToProto(policy).SerializeAsString(), std::move(done));
  }, kStoreCallTimeout);
  if (!put.ok()) return put.status();
  absl::StatusOr<int> planned = planning_.PlanEvent(policy.event_id);
  if (!planned.ok()) return planned.status();
  return policy;
}

absl::StatusOr<core::ReminderPolicy> NotificationApp::GetReminderPolicy(
    const std::string& event_id) {
  if (absl::Status s = CheckEvent(event_id); !s.ok()) return s;
  return planning_.Policy(event_id);
}

absl::StatusOr<DispatchRun> NotificationApp::RunDueReminders(int max) {
  if (max < 0 || max > kMaxRunMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_reminders: must be 0-", kMaxRunMax, " (0: ", kDefaultRunMax, ")"));
  }
  return dispatcher_.RunDue(max == 0 ? kDefaultRunMax : max);
}

absl::StatusOr<NotificationApp::Page<v1::ScheduledReminder>>
NotificationApp::ListScheduledReminders(const std::string& event_id,
                                        const std::string& participant_id,
                                        int page_size,
                                        const std::string& page_token) {
  if (event_id.empty() && participant_id.empty()) {
    return absl::InvalidArgumentError(
        "event_id: is required unless participant_id is given");
  }
  absl::StatusOr<int> size = core::ResolvePageSize(page_size, kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return size.status();
  absl::StatusOr<int64_t> offset = ParseOffsetToken(page_token);
  if (!offset.ok()) return offset.status();
  if (!event_id.empty()) {
    if (absl::Status s = CheckEvent(event_id); !s.ok()) return s;
  }
  absl::StatusOr<std::vector<std::string>> records =
      core::BlockingCall<std::vector<std::string>>([&](auto done) {
        reminders_.ListPending(event_id, participant_id, std::move(done));
      }, kStoreCallTimeout);
  if (!records.ok()) return records.status();
  std::vector<v1::ScheduledReminder> all;
  all.reserve(records->size());
  for (const std::string& record : *records) {
    v1::Notification n;
    if (!n.ParseFromString(record)) continue;
    v1::ScheduledReminder r;
    r.set_reminder_id(n.reminder_id());
    r.set_event_id(n.event_id());
    r.set_participant_id(n.participant_id());
    DescribeReminderId(n.reminder_id(), r);
    if (n.kind() == v1::NOTIFICATION_KIND_CANCELLATION_NOTICE) {
      r.set_kind(v1::REMINDER_KIND_UNSPECIFIED);
    }
    r.set_day(n.day());
    r.set_mode(n.mode());
    *r.mutable_due_time() = n.due_time();
    r.set_time_zone(n.time_zone());
    r.set_language(n.language());
    if (absl::StatusOr<core::Zone> zone = core::ResolveZone(n.time_zone()); zone.ok()) {
      r.set_due_local(core::FormatLocal(
          core::ToZoned(*zone, rpc::TimeFromProto(n.due_time()))));
    }
    all.push_back(std::move(r));
  }
  std::sort(all.begin(), all.end(),
            [](const v1::ScheduledReminder& a, const v1::ScheduledReminder& b) {
              auto ka = std::make_tuple(a.due_time().seconds(), a.event_id(),
                                        a.participant_id(), a.reminder_id());
              auto kb = std::make_tuple(b.due_time().seconds(), b.event_id(),
                                        b.participant_id(), b.reminder_id());
              return ka < kb;
            });
  Page<v1::ScheduledReminder> page;
  const size_t begin = std::min<size_t>(*offset, all.size());
  const size_t end = std::min<size_t>(begin + *size, all.size());
  for (size_t i = begin; i < end; ++i) page.items.push_back(std::move(all[i]));
  if (end < all.size()) page.next_page_token = absl::StrCat(end);
  return page;
}

absl::StatusOr<NotificationApp::Page<v1::Notification>>
NotificationApp::ListNotifications(const std::string& event_id,
                                   v1::NotificationState state, int page_size,
                                   const std::string& page_token) {
  absl::StatusOr<int> size = core::ResolvePageSize(page_size, kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return size.status();
  absl::StatusOr<int64_t> offset = ParseOffsetToken(page_token);
  if (!offset.ok()) return offset.status();
  if (absl::Status s = CheckEvent(event_id); !s.ok()) return s;
  absl::StatusOr<std::vector<storage::StoredNotification>> stored =
      core::BlockingCall<std::vector<storage::StoredNotification>>([&](auto done) {
        reminders_.ListNotifications(event_id, *offset, *size + 1, std::move(done));
      }, kStoreCallTimeout);
  if (!stored.ok()) return stored.status();
  Page<v1::Notification> page;
  // The page is a window of the event's notifications in creation order;
  // with a state filter it may hold fewer than page_size.
  const size_t in_window = std::min<size_t>(stored->size(), *size);
  for (size_t i = 0; i < in_window; ++i) {
    v1::Notification n;
    if (!n.ParseFromString((*stored)[i].record)) continue;
    n = WithState(std::move(n), (*stored)[i]);
    if (state != v1::NOTIFICATION_STATE_UNSPECIFIED && n.state() != state) continue;
    page.items.push_back(std::move(n));
  }
  if (stored->size() > static_cast<size_t>(*size)) {
    page.next_page_token = absl::StrCat(*offset + *size);
  }
  return page;
}

absl::StatusOr<v1::Notification> NotificationApp::GetNotification(
    const std::string& id) {
  absl::StatusOr<storage::StoredNotification> stored =
      core::BlockingCall<storage::StoredNotification>(
          [&](auto done) { reminders_.GetNotification(id, std::move(done)); }, kStoreCallTimeout);
  if (!stored.ok()) return stored.status();
  v1::Notification n;
  if (!n.ParseFromString(stored->record)) {
    return absl::DataLossError(absl::StrCat("notification ", id, " is not readable"));
  }
  return WithState(std::move(n), *stored);
}

absl::Status NotificationApp::AckNotification(const std::string& subscriber,
                                              const std::string& notification_id) {
  if (absl::Status s = ValidateSubscriberName(subscriber); !s.ok()) return s;
  if (notification_id.empty()) {
    return absl::InvalidArgumentError("notification_id: is required");
  }
  return core::BlockingCall<bool>([&](auto done) {
           reminders_.Ack(subscriber, notification_id, std::move(done));
         }, kStoreCallTimeout)
      .status();
}

absl::StatusOr<v1::Webhook> NotificationApp::CreateWebhook(v1::Webhook webhook) {
  if (absl::StatusOr<std::vector<std::string>> target =
          CheckWebhookTarget(webhook.url(), allow_private_webhook_targets_);
      !target.ok()) {
    return target.status();
  }
  if (absl::Status s = ValidateWebhookSecret(webhook.secret()); !s.ok()) return s;
  for (int i = 0; i < webhook.event_ids_size(); ++i) {
    if (absl::Status s = CheckEvent(webhook.event_ids(i)); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("webhook.event_ids[", i, "]: ", s.message()));
    }
  }
  webhook.set_id(NewWebhookId());
  *webhook.mutable_create_time() = rpc::TimeToProto(clock_.Now());
  absl::StatusOr<bool> put = core::BlockingCall<bool>([&](auto done) {
    reminders_.PutWebhook(webhook.id(), webhook.SerializeAsString(), std::move(done));
  }, kStoreCallTimeout);
  if (!put.ok()) return put.status();
  webhook.clear_secret();
  return webhook;
}

absl::StatusOr<std::vector<v1::Webhook>> NotificationApp::ListWebhooks(
    bool with_secrets) {
  absl::StatusOr<std::vector<std::string>> records =
      core::BlockingCall<std::vector<std::string>>(
          [&](auto done) { reminders_.ListWebhooks(std::move(done)); }, kStoreCallTimeout);
  if (!records.ok()) return records.status();
  std::vector<v1::Webhook> out;
  for (const std::string& r : *records) {
    v1::Webhook w;
    if (!w.ParseFromString(r)) continue;
    if (!with_secrets) w.clear_secret();
    out.push_back(std::move(w));
  }
  std::sort(out.begin(), out.end(),
            [](const v1::Webhook& a, const v1::Webhook& b) { return a.id() < b.id(); });
  return out;
}

absl::Status NotificationApp::DeleteWebhook(const std::string& webhook_id) {
  if (webhook_id.empty()) return absl::InvalidArgumentError("webhook_id: is required");
  absl::StatusOr<bool> deleted = core::BlockingCall<bool>(
      [&](auto done) { reminders_.DeleteWebhook(webhook_id, std::move(done)); }, kStoreCallTimeout);
  if (!deleted.ok()) return deleted.status();
  if (!*deleted) {
    return absl::NotFoundError(absl::StrCat("webhook_id: ", webhook_id, " is not a webhook"));
  }
  return absl::OkStatus();
}

}  // namespace convene::notification
