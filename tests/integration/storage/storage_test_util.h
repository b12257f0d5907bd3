// Helpers shared by the storage integration tests.
#ifndef CONVENE_TESTS_INTEGRATION_STORAGE_STORAGE_TEST_UTIL_H_
#define CONVENE_TESTS_INTEGRATION_STORAGE_STORAGE_TEST_UTIL_H_

#include <functional>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/redis_address.h"
#include "storage/redis_client_options.h"

namespace convene::storage::testing {

// Options for a client of the server at `address` with the given timeouts.
inline RedisClientOptions OptionsFor(
    const std::string& address,
    absl::Duration command_timeout = absl::Seconds(2)) {
  RedisClientOptions options;
  options.address = RedisAddress::Parse(address).value();
  options.command_timeout = command_timeout;
  options.min_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  return options;
}

// Polls `condition` every 20 ms until it holds or `timeout` passes; returns
// whether it held. For states that settle at an unknown moment (reconnects):
// generous bounds, never tight timing.
inline bool Eventually(const std::function<bool()>& condition,
                       absl::Duration timeout = absl::Seconds(15)) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    if (condition()) return true;
    if (absl::Now() >= deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

}  // namespace convene::storage::testing

#endif  // CONVENE_TESTS_INTEGRATION_STORAGE_STORAGE_TEST_UTIL_H_
