// How long notification's worker threads (planning, dispatch, webhook
// delivery, its blocking RPC handlers) wait for one store call before giving
// up with DEADLINE_EXCEEDED. Longer than the Redis client's own command
// timeout (storage/redis_client_options.h, 2 s by default), so that Redis's
// answer or the client's timeout, not this wait, normally decides.
//
//   core::BlockingCall<int>([&](auto done) { store.Count(std::move(done)); },
//                           kStoreCallTimeout);
#ifndef CONVENE_NOTIFICATION_STORE_CALL_H_
#define CONVENE_NOTIFICATION_STORE_CALL_H_

#include "absl/time/time.h"

namespace convene::notification {

inline constexpr absl::Duration kStoreCallTimeout = absl::Seconds(10);

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_STORE_CALL_H_
