// NotificationApp: the use cases of convene.v1.NotificationService over the
// reminder store, the planning and the dispatcher. Its calls block on Redis,
// so the handler runs them on a worker pool, never on gRPC's callback
// threads; tests call them directly.
//
//   NotificationApp app(events, reminders, planning, dispatcher, clock);
//   absl::StatusOr<core::ReminderPolicy> p = app.SetReminderPolicy(policy);
//
// Records are the wire messages themselves (v1::Notification is what is
// stored), so this layer speaks protos where they are the data.
#ifndef CONVENE_NOTIFICATION_NOTIFICATION_APP_H_
#define CONVENE_NOTIFICATION_NOTIFICATION_APP_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "convene/v1/notification.pb.h"
#include "core/clock.h"
#include "core/reminder_policy.h"
#include "notification/event_reader.h"
#include "notification/reminder_dispatcher.h"
#include "notification/reminder_replanner.h"
#include "storage/reminder_store.h"

namespace convene::notification {

class NotificationApp {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;
  static constexpr int kDefaultRunMax = 10000;
  static constexpr int kMaxRunMax = 100000;

  // All must outlive the app.
  NotificationApp(EventReader& events,
                  storage::ReminderStore& reminders, ReminderReplanner& planning,
                  ReminderDispatcher& dispatcher, const core::Clock& clock)
      : events_(events),
        reminders_(reminders),
        planning_(planning),
        dispatcher_(dispatcher),
        clock_(clock) {}

  // Validates and stores the event's policy, then re-plans the event's
  // reminders by it. NOT_FOUND for an unknown event.
  absl::StatusOr<core::ReminderPolicy> SetReminderPolicy(
      core::ReminderPolicy policy);
  absl::StatusOr<core::ReminderPolicy> GetReminderPolicy(
      const std::string& event_id);

  // Dispatches what is due, at most `max` (0: kDefaultRunMax).
  absl::StatusOr<DispatchRun> RunDueReminders(int max);

  template <typename T>
  struct Page {
    std::vector<T> items;
    std::string next_page_token;
  };
  // Pending reminders of an event and/or a participant, by due instant.
  absl::StatusOr<Page<v1::ScheduledReminder>> ListScheduledReminders(
      const std::string& event_id, const std::string& participant_id,
      int page_size, const std::string& page_token);
  // The event's notifications, oldest first; `state` UNSPECIFIED: any.
  absl::StatusOr<Page<v1::Notification>> ListNotifications(
      const std::string& event_id, v1::NotificationState state,
      int page_size, const std::string& page_token);

  // A notification as stored, with its delivery state.
  absl::StatusOr<v1::Notification> GetNotification(const std::string& id);
  absl::Status AckNotification(const std::string& subscriber,
                               const std::string& notification_id);

  // Webhooks: the secret is stored, never returned.
  absl::StatusOr<v1::Webhook> CreateWebhook(v1::Webhook webhook);
  // Whether webhooks may point at loopback, private and link-local
  // addresses (CheckWebhookTarget); off unless the deployment says so.
  void set_allow_private_webhook_targets(bool allow) { allow_private_webhook_targets_ = allow; }
  absl::StatusOr<std::vector<v1::Webhook>> ListWebhooks(bool with_secrets);
  absl::Status DeleteWebhook(const std::string& webhook_id);

 private:
  bool allow_private_webhook_targets_ = false;
  absl::Status CheckEvent(const std::string& event_id);

  EventReader& events_;
  storage::ReminderStore& reminders_;
  ReminderReplanner& planning_;
  ReminderDispatcher& dispatcher_;
  const core::Clock& clock_;
};

// Checks a subscriber name: 1-64 of [A-Za-z0-9._-].
absl::Status ValidateSubscriberName(const std::string& name);

// A stored notification with its delivery state applied.
v1::Notification WithState(v1::Notification n,
                           const storage::StoredNotification& stored);

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_NOTIFICATION_APP_H_
