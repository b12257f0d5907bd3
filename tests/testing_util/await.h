// Await: runs an asynchronous call that completes a callback with
// absl::StatusOr<T>, and waits for it (at most `timeout`).
//
//   absl::StatusOr<core::Event> e = Await<core::Event>(
//       [&](auto done) { app.GetEvent(id, std::move(done)); });
#ifndef CONVENE_TESTS_TESTING_UTIL_AWAIT_H_
#define CONVENE_TESTS_TESTING_UTIL_AWAIT_H_

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace convene::testing_util {

template <typename T, typename Call>
absl::StatusOr<T> Await(Call call, absl::Duration timeout = absl::Seconds(10)) {
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

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_AWAIT_H_
