#include "notification/fan_out.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"

namespace convene::notification {

absl::Status FanOut(size_t count, int threads,
                    absl::FunctionRef<absl::Status(size_t)> step) {
  const size_t workers = std::min(count, static_cast<size_t>(std::max(threads, 1)));
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  absl::Mutex mu;
  size_t first_failed = count;
  absl::Status first_error;
  auto work = [&] {
    while (!failed.load(std::memory_order_relaxed)) {
      const size_t i = next.fetch_add(1);
      if (i >= count) return;
      absl::Status s = step(i);
      if (s.ok()) continue;
      failed.store(true, std::memory_order_relaxed);
      absl::MutexLock lock(&mu);
      if (i < first_failed) {
        first_failed = i;
        first_error = std::move(s);
      }
    }
  };
  std::vector<std::thread> helpers;
  helpers.reserve(workers > 0 ? workers - 1 : 0);
  for (size_t t = 1; t < workers; ++t) helpers.emplace_back(work);
  work();
  for (std::thread& t : helpers) t.join();
  return first_error;
}

}  // namespace convene::notification
