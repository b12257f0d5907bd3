// EventCopyStore: a service's own copy of the calendar's events, kept from
// the calendar's change stream (each change carries the event after it), so
// that the service reads its own keys, not the calendar's. Notification
// keeps one (keys NotificationEvents / NotificationEventEnds, in {ntf}) to
// plan and render reminders.
//
//   EventCopyStore copies(redis);
//   copies.Put("ev_1", 3, end_ms, doc, [](absl::StatusOr<bool> written) { ... });
//   copies.Get("ev_1", [](absl::StatusOr<std::string> doc) { ... });
//
// Put never replaces a copy with an older or equal revision, so replays and
// catch-ups race freely.
#ifndef CONVENE_STORAGE_EVENT_COPY_STORE_H_
#define CONVENE_STORAGE_EVENT_COPY_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/redis_client.h"

namespace convene::storage {

class EventCopyStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // `redis` must outlive the store.
  explicit EventCopyStore(RedisClient& redis) : redis_(redis) {}

  // Stores `document` (revision `revision`, ending at `end_ms`) unless a copy
  // of that revision or later is stored; says whether it wrote.
  void Put(std::string event_id, int64_t revision, int64_t end_ms, std::string document,
           Callback<bool> done);

  // The stored document; NOT_FOUND when there is no copy.
  void Get(std::string event_id, Callback<std::string> done);

  // Ids of the copied events that end after `after` (InfinitePast: all).
  void EventsEndingAfter(absl::Time after, Callback<std::vector<std::string>> done);

 private:
  RedisClient& redis_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_EVENT_COPY_STORE_H_
