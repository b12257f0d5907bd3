// RegistrationCopyStore: notification's own copy of each registration it
// reminds (contact, zone, language, days), kept from the event's attendance
// stream, so that planning reads notification's keys, not attendance's
// (keys NotificationRegistrations, in {ntf}). The copy is an opaque record
// (the notification service stores a serialised convene.v1.Registration)
// with the registration's revision beside it.
//
//   RegistrationCopyStore copies(redis);
//   copies.Put("ev_1", "torino-1", 3, record, [](absl::StatusOr<bool> w) { ... });
//   copies.List("ev_1", "0", [](absl::StatusOr<RegistrationCopyStore::Page> p) { ... });
//
// Put never replaces a copy with an older or equal revision, so replays and
// catch-ups race freely. Erasure removes the copy (Forget).
#ifndef CONVENE_STORAGE_REGISTRATION_COPY_STORE_H_
#define CONVENE_STORAGE_REGISTRATION_COPY_STORE_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "storage/redis_client.h"

namespace convene::storage {

class RegistrationCopyStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  struct Page {
    // (participant id, record), in no particular order.
    std::vector<std::pair<std::string, std::string>> copies;
    // Where the next page starts; "0" when this was the last.
    std::string next_cursor = "0";
  };

  // `redis` must outlive the store.
  explicit RegistrationCopyStore(RedisClient& redis) : redis_(redis) {}

  // Stores `record` (revision `revision`) unless a copy of that revision or
  // later is stored; says whether it wrote.
  void Put(std::string event_id, std::string participant_id, int64_t revision,
           std::string record, Callback<bool> done);

  // The stored record; NOT_FOUND when there is no copy.
  void Get(std::string event_id, std::string participant_id, Callback<std::string> done);

  // One page of the event's copies from `cursor` ("0": the first page).
  // Every copy stored for the whole walk is listed at least once.
  void List(std::string event_id, std::string cursor, Callback<Page> done);

  // Removes the copy (erasure); says whether there was one.
  void Forget(std::string event_id, std::string participant_id, Callback<bool> done);

 private:
  RedisClient& redis_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REGISTRATION_COPY_STORE_H_
