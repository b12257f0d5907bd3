// Await: core::BlockingCall under the name the tests use.
//
//   absl::StatusOr<core::Event> e = Await<core::Event>(
//       [&](auto done) { app.GetEvent(id, std::move(done)); });
#ifndef CONVENE_TESTS_TESTING_UTIL_AWAIT_H_
#define CONVENE_TESTS_TESTING_UTIL_AWAIT_H_

#include "core/blocking_call.h"

namespace convene::testing_util {

using core::BlockingCall;

template <typename T, typename Call>
absl::StatusOr<T> Await(Call call, absl::Duration timeout = absl::Seconds(10)) {
  return core::BlockingCall<T>(std::move(call), timeout);
}

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_AWAIT_H_
