// PseudonymKeySource: the deployment's key for participant pseudonyms
// (core/pseudonym.h), read from Redis, or made and stored there, the first
// time a caller needs one, then kept. Every replica reads the same key, so
// a person's pseudonym does not depend on which replica answers.
//
// Read when first needed rather than at start: a write at start fails while
// a fresh cluster's replicas catch up (NOREPLICAS with min-replicas-to-write)
// and would keep the service from starting at all; a failed read here fails
// only the call that needed it (UNAVAILABLE), and the next call tries again.
#ifndef CONVENE_CALENDAR_PSEUDONYM_KEY_SOURCE_H_
#define CONVENE_CALENDAR_PSEUDONYM_KEY_SOURCE_H_

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"

namespace convene::calendar {

class PseudonymKeySource {
 public:
  explicit PseudonymKeySource(storage::RedisClient& redis) : redis_(redis) {}

  // The key; UNAVAILABLE when Redis could not give or keep one.
  absl::StatusOr<std::string> Get();

  // The stored key, or a fresh one stored now (the first writer wins), read
  // through `redis` (the change feed relay's own connection).
  static absl::StatusOr<std::string> ReadOrMake(storage::RedisSyncClient& redis);

 private:
  storage::RedisSyncClient redis_;
  absl::Mutex mu_;
  std::string key_ ABSL_GUARDED_BY(mu_);
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_PSEUDONYM_KEY_SOURCE_H_
