// Exponential backoff with jitter for reconnect attempts. Internal.
#ifndef CONVENE_STORAGE_INTERNAL_BACKOFF_H_
#define CONVENE_STORAGE_INTERNAL_BACKOFF_H_

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace convene::storage::internal {

// Not thread-safe: one owner (the loop thread).
class Backoff {
 public:
  Backoff(absl::Duration min, absl::Duration max) : min_(min), max_(max) {}

  // The next delay: uniformly random in [d/2, d] where d doubles from `min`
  // per call up to `max`, so that many clients do not retry in lockstep.
  absl::Duration Next();
  // Starts over from `min` (after a success).
  void Reset() { attempts_ = 0; }

 private:
  absl::Duration min_;
  absl::Duration max_;
  int attempts_ = 0;
  absl::BitGen bitgen_;
};

}  // namespace convene::storage::internal

#endif  // CONVENE_STORAGE_INTERNAL_BACKOFF_H_
