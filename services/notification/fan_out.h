// FanOut: runs independent blocking steps on a few threads at once.
//
// The change follower's steps each wait for Redis several times (a
// registration's copy, what it was told, its plan). One at a time, a batch
// of thousands spends most of its time handing each command to the Redis
// loop's thread and waiting to be woken with the reply; several steps in
// flight share those hand-offs.
//
//   absl::Status s = FanOut(participants.size(), kPlanningThreads,
//                           [&](size_t i) { return Plan(participants[i]); });
//
// Steps must not depend on each other: they run in no particular order.
// After a step fails no new one starts (a follower's batch is processed
// again as a whole); the error returned is the failed step's with the
// lowest index. One step, or one thread, runs on the caller's thread.
#ifndef CONVENE_NOTIFICATION_FAN_OUT_H_
#define CONVENE_NOTIFICATION_FAN_OUT_H_

#include <cstddef>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"

namespace convene::notification {

absl::Status FanOut(size_t count, int threads,
                    absl::FunctionRef<absl::Status(size_t)> step);

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_FAN_OUT_H_
