#include "notification/notification_app.h"

#include <algorithm>
#include <random>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "core/access_policy.h"
#include "core/blocking_call.h"
#include "core/iso_duration.h"
#include "core/local_date_time.h"
#include "core/page_token.h"
#include "core/text_limits.h"
#include "core/zone.h"
#include "core/zoned_rendering.h"
#include "notification/mail_worker.h"
#include "notification/store_call.h"
#include "notification/webhook_sender.h"
#include "notification/webhook_worker.h"
#include "rpc/proto_time.h"

namespace convene::notification {
namespace {

// Page tokens of the two lists (core/page_token.h): an offset, bound to
// the request's event and filter.
constexpr absl::string_view kScheduledTag = "s1";
constexpr absl::string_view kNotificationsTag = "n1";

std::string ScheduledFilters(const std::string& event_id, const std::string& participant_id) {
  return absl::StrCat(event_id, ",", participant_id);
}

std::string NotificationFilters(const std::string& event_id, v1::NotificationState state) {
  return absl::StrCat(event_id, ",", static_cast<int>(state));
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
  // The service's own senders read the outboxes as these consumer groups: a
  // subscriber of the same name would take their messages (and its Ack
  // would drop what they hold pending), so those would never be sent.
  for (absl::string_view own : {MailWorker::kGroup, WebhookWorker::kGroup}) {
    if (name == own) {
      return absl::InvalidArgumentError(absl::StrCat(
          "subscriber: \"", name,
          "\" is reserved for the notification service's own sender"));
    }
  }
  return absl::OkStatus();
}

void NotificationApp::CheckEvent(std::string event_id, StatusDone done) {
  if (event_id.empty()) return done(absl::InvalidArgumentError("event_id: is required"));
  events_.GetEvent(std::move(event_id),
                   [done = std::move(done)](absl::StatusOr<core::Event> event) mutable {
                     done(event.status());
                   });
}

absl::StatusOr<core::ReminderPolicy> NotificationApp::SetReminderPolicy(
    core::ReminderPolicy policy) {
  policy.is_default = false;
  if (absl::Status s = core::ValidateReminderPolicy(policy); !s.ok()) return s;
  if (absl::Status s = core::BlockingCall<bool>(
                           [&](auto done) {
                             CheckEvent(policy.event_id, [done = std::move(done)](
                                                             absl::Status s) mutable {
                               if (!s.ok()) return done(s);
                               done(true);
                             });
                           },
                           kStoreCallTimeout)
                           .status();
      !s.ok()) {
    return s;
  }
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

void NotificationApp::GetReminderPolicy(std::string event_id, Done<core::ReminderPolicy> done) {
  CheckEvent(event_id, [this, event_id, done = std::move(done)](absl::Status s) mutable {
    if (!s.ok()) return done(s);
    reminders_.GetPolicy(event_id, [event_id, done = std::move(done)](
                                       absl::StatusOr<std::optional<std::string>> stored) mutable {
      if (!stored.ok()) return done(stored.status());
      done(PolicyFromStored(event_id, *stored));
    });
  });
}

absl::StatusOr<DispatchRun> NotificationApp::RunDueReminders(int max) {
  if (max < 0 || max > kMaxRunMax) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_reminders: must be 0-", kMaxRunMax, " (0: ", kDefaultRunMax, ")"));
  }
  return dispatcher_.RunDue(max == 0 ? kDefaultRunMax : max);
}

namespace {

// Pending reminder records as the API lists them, by due instant.
std::vector<v1::ScheduledReminder> ScheduledReminders(const std::vector<std::string>& records) {
  std::vector<v1::ScheduledReminder> all;
  all.reserve(records.size());
  for (const std::string& record : records) {
    v1::Notification n;
    if (!n.ParseFromString(record)) continue;
    // Registration notices waiting to go out are not reminders.
    if (n.kind() != v1::NOTIFICATION_KIND_REMINDER &&
        n.kind() != v1::NOTIFICATION_KIND_CANCELLATION_NOTICE) {
      continue;
    }
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
  return all;
}

}  // namespace

void NotificationApp::ListScheduledReminders(std::string event_id, std::string participant_id,
                                             int page_size, std::string page_token,
                                             Done<Page<v1::ScheduledReminder>> done) {
  if (event_id.empty() && participant_id.empty()) {
    return done(absl::InvalidArgumentError(
        "event_id: is required unless participant_id is given"));
  }
  absl::StatusOr<int> size = core::ResolvePageSize(page_size, kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return done(size.status());
  const std::string filters = ScheduledFilters(event_id, participant_id);
  absl::StatusOr<int64_t> offset = core::DecodeOffsetPageToken(
      page_token, kScheduledTag, filters, "ListScheduledReminders");
  if (!offset.ok()) return done(offset.status());
  auto list = [this, event_id, participant_id, filters, size = *size, offset = *offset](
                  Done<Page<v1::ScheduledReminder>> done) mutable {
    reminders_.ListPending(
        event_id, participant_id,
        [filters, size, offset, done = std::move(done)](
            absl::StatusOr<std::vector<std::string>> records) mutable {
          if (!records.ok()) return done(records.status());
          std::vector<v1::ScheduledReminder> all = ScheduledReminders(*records);
          Page<v1::ScheduledReminder> page;
          const size_t begin = std::min<size_t>(offset, all.size());
          const size_t end = std::min<size_t>(begin + size, all.size());
          for (size_t i = begin; i < end; ++i) page.items.push_back(std::move(all[i]));
          if (end < all.size()) {
            page.next_page_token =
                core::EncodePageToken(kScheduledTag, absl::StrCat(end), filters);
          }
          done(std::move(page));
        });
  };
  if (event_id.empty()) return list(std::move(done));
  CheckEvent(event_id, [list = std::move(list), done = std::move(done)](absl::Status s) mutable {
    if (!s.ok()) return done(s);
    list(std::move(done));
  });
}

void NotificationApp::ListNotifications(std::string event_id, v1::NotificationState state,
                                        int page_size, std::string page_token,
                                        Done<Page<v1::Notification>> done) {
  absl::StatusOr<int> size = core::ResolvePageSize(page_size, kDefaultPageSize, kMaxPageSize);
  if (!size.ok()) return done(size.status());
  const std::string filters = NotificationFilters(event_id, state);
  absl::StatusOr<int64_t> offset = core::DecodeOffsetPageToken(
      page_token, kNotificationsTag, filters, "ListNotifications");
  if (!offset.ok()) return done(offset.status());
  CheckEvent(event_id, [this, event_id, state, filters, size = *size, offset = *offset,
                        done = std::move(done)](absl::Status s) mutable {
    if (!s.ok()) return done(s);
    reminders_.ListNotifications(
        event_id, offset, size + 1,
        [state, filters, size, offset, done = std::move(done)](
            absl::StatusOr<std::vector<storage::StoredNotification>> stored) mutable {
          if (!stored.ok()) return done(stored.status());
          Page<v1::Notification> page;
          // The page is a window of the event's notifications in creation
          // order; with a state filter it may hold fewer than page_size.
          const size_t in_window = std::min<size_t>(stored->size(), size);
          for (size_t i = 0; i < in_window; ++i) {
            v1::Notification n;
            if (!n.ParseFromString((*stored)[i].record)) continue;
            n = WithState(std::move(n), (*stored)[i]);
            if (state != v1::NOTIFICATION_STATE_UNSPECIFIED && n.state() != state) continue;
            page.items.push_back(std::move(n));
          }
          if (stored->size() > static_cast<size_t>(size)) {
            page.next_page_token =
                core::EncodePageToken(kNotificationsTag, absl::StrCat(offset + size), filters);
          }
          done(std::move(page));
        });
  });
}

void NotificationApp::GetNotification(std::string id, Done<v1::Notification> done) {
  reminders_.GetNotification(id, [id, done = std::move(done)](
                                     absl::StatusOr<storage::StoredNotification> stored) mutable {
    if (!stored.ok()) return done(stored.status());
    v1::Notification n;
    if (!n.ParseFromString(stored->record)) {
      return done(absl::DataLossError(absl::StrCat("notification ", id, " is not readable")));
    }
    done(WithState(std::move(n), *stored));
  });
}

void NotificationApp::AckNotification(std::string subscriber, std::string notification_id,
                                      StatusDone done) {
  if (absl::Status s = ValidateSubscriberName(subscriber); !s.ok()) return done(s);
  if (notification_id.empty()) {
    return done(absl::InvalidArgumentError("notification_id: is required"));
  }
  reminders_.Ack(std::move(subscriber), std::move(notification_id),
                 [done = std::move(done)](absl::StatusOr<bool> acked) mutable {
                   done(acked.status());
                 });
}

void NotificationApp::CreateWebhook(v1::Webhook webhook, Done<v1::Webhook> done) {
  if (absl::StatusOr<std::vector<std::string>> target =
          CheckWebhookTarget(webhook.url(), allow_private_webhook_targets_);
      !target.ok()) {
    return done(target.status());
  }
  if (absl::Status s = ValidateWebhookSecret(webhook.secret()); !s.ok()) return done(s);
  if (absl::Status s = core::CheckScopedEventIds(
          "webhook.event_ids", {webhook.event_ids().begin(), webhook.event_ids().end()});
      !s.ok()) {
    return done(s);
  }
  CheckWebhookEvents(std::move(webhook), 0, std::move(done));
}

void NotificationApp::CheckWebhookEvents(v1::Webhook webhook, int next, Done<v1::Webhook> done) {
  if (next < webhook.event_ids_size()) {
    std::string event_id = webhook.event_ids(next);
    return CheckEvent(std::move(event_id), [this, webhook = std::move(webhook), next,
                                            done = std::move(done)](absl::Status s) mutable {
      if (!s.ok()) {
        return done(absl::Status(
            s.code(), absl::StrCat("webhook.event_ids[", next, "]: ", s.message())));
      }
      CheckWebhookEvents(std::move(webhook), next + 1, std::move(done));
    });
  }
  webhook.set_id(NewWebhookId());
  *webhook.mutable_create_time() = rpc::TimeToProto(clock_.Now());
  std::string id = webhook.id();
  std::string record = webhook.SerializeAsString();
  std::vector<std::string> events(webhook.event_ids().begin(), webhook.event_ids().end());
  reminders_.PutWebhook(std::move(id), std::move(record), std::move(events),
                        [webhook = std::move(webhook), done = std::move(done)](
                            absl::StatusOr<bool> put) mutable {
                          if (!put.ok()) return done(put.status());
                          webhook.clear_secret();
                          done(std::move(webhook));
                        });
}

void NotificationApp::ListWebhooks(bool with_secrets, Done<std::vector<v1::Webhook>> done) {
  reminders_.ListWebhooks([with_secrets, done = std::move(done)](
                              absl::StatusOr<std::vector<std::string>> records) mutable {
    if (!records.ok()) return done(records.status());
    std::vector<v1::Webhook> out;
    for (const std::string& r : *records) {
      v1::Webhook w;
      if (!w.ParseFromString(r)) continue;
      if (!with_secrets) w.clear_secret();
      out.push_back(std::move(w));
    }
    std::sort(out.begin(), out.end(),
              [](const v1::Webhook& a, const v1::Webhook& b) { return a.id() < b.id(); });
    done(std::move(out));
  });
}

void NotificationApp::DeleteWebhook(std::string webhook_id, StatusDone done) {
  if (webhook_id.empty()) return done(absl::InvalidArgumentError("webhook_id: is required"));
  reminders_.DeleteWebhook(webhook_id, [webhook_id, done = std::move(done)](
                                           absl::StatusOr<bool> deleted) mutable {
    if (!deleted.ok()) return done(deleted.status());
    if (!*deleted) {
      return done(absl::NotFoundError(
          absl::StrCat("webhook_id: ", webhook_id, " is not a webhook")));
    }
    done(absl::OkStatus());
  });
}

}  // namespace convene::notification
