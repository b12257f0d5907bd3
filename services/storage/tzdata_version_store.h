// TzdataVersionStore: the tz database version the calendar's stored instants
// were last checked against, in Redis (keys::TzdataVersion(), under {sys}).
// Each event also records the version its own instants were derived with;
// this one key says whether the whole calendar is current, so that a
// process started with other rules can tell at once that `convene-admin
// retime` is due.
//
//   TzdataVersionStore versions(redis);
//   versions.Get([](absl::StatusOr<std::optional<std::string>> v) { ... });
//
// Every service host reads it at start (host/service_host.cc); the
// calendar's retime writes it. Callbacks run
// on the Redis client's loop thread: keep them short.
#ifndef CONVENE_STORAGE_TZDATA_VERSION_STORE_H_
#define CONVENE_STORAGE_TZDATA_VERSION_STORE_H_

#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "storage/redis_client.h"

namespace convene::storage {

class TzdataVersionStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // `redis` must outlive the store.
  explicit TzdataVersionStore(storage::RedisClient& redis) : redis_(redis) {}

  // The recorded version; nullopt when none is recorded yet.
  void Get(Callback<std::optional<std::string>> done);

  // Records `version`, replacing any other.
  void Set(std::string version, Callback<bool> done);

  // Records `version` only if none is recorded (one SET NX, so that replicas
  // starting together agree on the first); true if it wrote.
  void SetIfAbsent(std::string version, Callback<bool> done);

 private:
  storage::RedisClient& redis_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_TZDATA_VERSION_STORE_H_
