// Backoff: the one schedule of waits between retries in Convene (the Redis
// core's reconnects, webhook deliveries): doubling from a minimum up to a
// maximum, each wait drawn at random from its upper half so that many
// clients do not retry in lockstep. (The C++ client retries through gRPC's
// own policy, which does the same.)
//
//   core::Backoff backoff(absl::Milliseconds(50), absl::Seconds(2));
//   absl::Duration wait = backoff.Next();  // 25-50 ms, then 50-100 ms, ...
//   backoff.Reset();                       // after a success
#ifndef CONVENE_CORE_BACKOFF_H_
#define CONVENE_CORE_BACKOFF_H_

#include "absl/random/random.h"
#include "absl/time/time.h"

namespace convene::core {

// Not thread-safe: one owner.
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

}  // namespace convene::core

#endif  // CONVENE_CORE_BACKOFF_H_
