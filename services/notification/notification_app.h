// NotificationApp: the use cases of convene.v1.NotificationService over the
// reminder store, the planning and the dispatcher. Reads, acks and webhooks
// complete a callback (on the Redis client's loop thread: keep it short), as
// calendar's and attendance's apps do. Two are blocking jobs by nature, a
// re-planning of a whole event (SetReminderPolicy) and a dispatch run
// (RunDueReminders): the handler runs those on its worker pool, the
// documented executor for them, never on gRPC's callback threads.
//
//   NotificationApp app(events, reminders, planning, dispatcher, clock);
//   app.GetReminderPolicy("ev_1", [](absl::StatusOr<core::ReminderPolicy> p) { ... });
//
// Records are the wire messages themselves (v1::Notification is what is
// stored), so this layer speaks protos where they are the data.
#ifndef CONVENE_NOTIFICATION_NOTIFICATION_APP_H_
#define CONVENE_NOTIFICATION_NOTIFICATION_APP_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "convene/v1/notification.pb.h"
#include "core/clock.h"
#include "core/reminder_policy.h"
#include "notification/event_reader.h"
#include "notification/reminder_dispatcher.h"
#include "notification/reminder_replanner.h"
#include "notification/reminder_store.h"

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

  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;
  using StatusDone = absl::AnyInvocable<void(absl::Status)>;

  // Validates and stores the event's policy, then re-plans the event's
  // reminders by it. NOT_FOUND for an unknown event. Blocking: re-planning
  // reads every registration of the event (the handler runs it on its
  // worker pool, like RunDueReminders).
  absl::StatusOr<core::ReminderPolicy> SetReminderPolicy(
      core::ReminderPolicy policy);
  void GetReminderPolicy(std::string event_id, Done<core::ReminderPolicy> done);

  // Dispatches what is due, at most `max` (0: kDefaultRunMax). Blocking:
  // a whole dispatch run.
  absl::StatusOr<DispatchRun> RunDueReminders(int max);

  template <typename T>
  struct Page {
    std::vector<T> items;
    std::string next_page_token;
  };
  // Pending reminders of an event and/or a participant, by due instant.
  void ListScheduledReminders(std::string event_id, std::string participant_id,
                              int page_size, std::string page_token,
                              Done<Page<v1::ScheduledReminder>> done);
  // The event's notifications, oldest first; `state` UNSPECIFIED: any.
  void ListNotifications(std::string event_id, v1::NotificationState state, int page_size,
                         std::string page_token, Done<Page<v1::Notification>> done);

  // A notification as stored, with its delivery state.
  void GetNotification(std::string id, Done<v1::Notification> done);
  void AckNotification(std::string subscriber, std::string notification_id,
                       StatusDone done);

  // Webhooks: the secret is stored, never returned.
  void CreateWebhook(v1::Webhook webhook, Done<v1::Webhook> done);
  // Whether webhooks may point at loopback, private and link-local
  // addresses (CheckWebhookTarget); off unless the deployment says so.
  void set_allow_private_webhook_targets(bool allow) { allow_private_webhook_targets_ = allow; }

  // How many reminder shards (outboxes) there are to read.
  int reminder_shards() const { return reminders_.shards(); }

  // The clock every wait of the notification service goes by.
  const core::Clock& clock() const { return clock_; }
  void ListWebhooks(bool with_secrets, Done<std::vector<v1::Webhook>> done);
  void DeleteWebhook(std::string webhook_id, StatusDone done);

 private:
  bool allow_private_webhook_targets_ = false;
  // OK when the event exists; NOT_FOUND naming it otherwise.
  void CheckEvent(std::string event_id, StatusDone done);
  // Checks webhook.event_ids from `next` on, then stores the webhook.
  void CheckWebhookEvents(v1::Webhook webhook, int next, Done<v1::Webhook> done);

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
