// EventReader: the events reminders are planned and rendered for, from
// notification's own copy (storage::EventCopyStore in {ntf}), which the
// reminder planner keeps from the calendar's change stream: notification
// never reads the calendar's keys.
//
//   EventReader events(copies, redis);
//   events.Remember(doc, done);   // the planner, for each calendar change
//   events.GetEvent("ev_1", [](absl::StatusOr<core::Event> e) { ... });
//
// Read-your-writes: an event created a moment ago may not be copied yet;
// GetEvent then looks for it among the calendar's newest changes
// (storage/calendar_change_window.h) and copies it before answering, so
// SetReminderPolicy or PreviewReminders right after CreateEvent find it.
#ifndef CONVENE_NOTIFICATION_EVENT_READER_H_
#define CONVENE_NOTIFICATION_EVENT_READER_H_

#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "notification/event_copy_store.h"
#include "storage/redis_client.h"

namespace convene::notification {

class EventReader {
 public:
  template <typename T>
  using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // `copies` and `redis` must outlive the reader.
  EventReader(storage::EventCopyStore& copies, storage::RedisClient& redis)
      : copies_(copies), redis_(redis) {}

  // Copies the event of a calendar change's document (unless a copy of that
  // revision or later is kept) and returns the event.
  void Remember(std::string document, Done<core::Event> done);

  // NOT_FOUND for an id the calendar never had.
  void GetEvent(std::string id, Done<core::Event> done);

  // Ids of the copied events that end after `after` (InfinitePast: all).
  void EventsEndingAfter(absl::Time after, Done<std::vector<std::string>> done) {
    copies_.EventsEndingAfter(after, std::move(done));
  }

 private:
  storage::EventCopyStore& copies_;
  storage::RedisClient& redis_;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_EVENT_READER_H_
