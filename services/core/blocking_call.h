// BlockingCall: runs an asynchronous call that completes a callback with
// absl::StatusOr<T>, and waits for it, at most `timeout` (every caller says
// how long: DEADLINE_EXCEEDED after it). For worker threads of their own
// (the reminder planner and dispatcher, tools, tests), never for a gRPC
// callback or a Redis loop thread, which must not block.
//
//   absl::StatusOr<core::Event> e = BlockingCall<core::Event>(
//       [&](auto done) { app.GetEvent(id, std::move(done)); }, absl::Seconds(5));
#ifndef CONVENE_CORE_BLOCKING_CALL_H_
#define CONVENE_CORE_BLOCKING_CALL_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace convene::core {

template <typename T, typename Call>
absl::StatusOr<T> BlockingCall(Call call, absl::Duration timeout) {
  // Shared, so that a callback arriving after the timeout writes to live
  // memory.
  struct State {
    absl::Notification done;
    absl::StatusOr<T> result = absl::UnknownError("not completed");
  };
  auto state = std::make_shared<State>();
  call([state](absl::StatusOr<T> r) {
    state->result = std::move(r);
    state->done.Notify();
  });
  if (!state->done.WaitForNotificationWithTimeout(timeout)) {
    return absl::DeadlineExceededError("call did not complete in time");
  }
  return std::move(state->result);
}

}  // namespace convene::core

#endif  // CONVENE_CORE_BLOCKING_CALL_H_
