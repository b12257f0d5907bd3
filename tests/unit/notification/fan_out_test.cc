// FanOut (notification/fan_out.h): every step once, several at once, and
// the first failure stops the rest.
#include "notification/fan_out.h"

#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace convene::notification {
namespace {

TEST(FanOut, RunsEveryStepExactlyOnce) {
  std::vector<std::atomic<int>> runs(500);
  absl::Status s = FanOut(runs.size(), 8, [&](size_t i) {
    runs[i] += 1;
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  for (size_t i = 0; i < runs.size(); ++i) EXPECT_EQ(runs[i].load(), 1) << "step " << i;
}

TEST(FanOut, RunsStepsAtTheSameTime) {
  // Each of four steps waits until all four are under way: they can only
  // get there if four run at once (bounded, so a regression fails instead
  // of hanging).
  absl::Mutex mu;
  int under_way = 0;
  std::vector<int> seen(4, 0);
  absl::Status s = FanOut(4, 4, [&](size_t i) {
    absl::MutexLock lock(&mu);
    ++under_way;
    mu.AwaitWithTimeout(absl::Condition(
                            +[](int* n) { return *n == 4; }, &under_way),
                        absl::Seconds(20));
    seen[i] = under_way;
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(seen, std::vector<int>(4, 4));
}

TEST(FanOut, OneThreadIsTheCallersOwnInOrder) {
  const std::thread::id caller = std::this_thread::get_id();
  std::vector<size_t> order;
  absl::Status s = FanOut(5, 1, [&](size_t i) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    order.push_back(i);
    return absl::OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4}));
  // No threads asked for is one.
  EXPECT_TRUE(FanOut(3, 0, [](size_t) { return absl::OkStatus(); }).ok());
  EXPECT_TRUE(FanOut(0, 8, [](size_t) { return absl::UnknownError("never run"); }).ok());
}

TEST(FanOut, AFailureStopsNewStepsAndIsReturned) {
  std::vector<size_t> ran;
  absl::Status s = FanOut(10, 1, [&](size_t i) {
    ran.push_back(i);
    if (i == 3) return absl::UnavailableError("redis: connection lost");
    return absl::OkStatus();
  });
  EXPECT_EQ(s, absl::UnavailableError("redis: connection lost"));
  EXPECT_EQ(ran, (std::vector<size_t>{0, 1, 2, 3}));
}

TEST(FanOut, OfSeveralFailuresTheLowestStepsErrorIsReturned) {
  // Steps 2 and 5 fail at the same time: both wait until both are under
  // way, so both run whatever the threads' timing.
  absl::Mutex mu;
  int failing = 0;
  absl::Status s = FanOut(6, 6, [&](size_t i) -> absl::Status {
    if (i != 2 && i != 5) return absl::OkStatus();
    absl::MutexLock lock(&mu);
    ++failing;
    mu.AwaitWithTimeout(absl::Condition(
                            +[](int* n) { return *n == 2; }, &failing),
                        absl::Seconds(20));
    return absl::InternalError(i == 2 ? "step 2" : "step 5");
  });
  EXPECT_EQ(s, absl::InternalError("step 2"));
}

}  // namespace
}  // namespace convene::notification
