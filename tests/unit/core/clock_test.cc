#include "core/clock.h"

#include <thread>
#include <vector>

#include "absl/time/time.h"
#include "core/fake_clock.h"
#include "core_test_util.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using testing::Utc;

TEST(FakeClock, StartsAtTheEpochOrTheGivenTime) {
  EXPECT_EQ(FakeClock().Now(), absl::UnixEpoch());
  EXPECT_EQ(FakeClock(Utc(2022, 3, 15, 7, 0)).Now(), Utc(2022, 3, 15, 7, 0));
}

TEST(FakeClock, MovesOnlyWhenTold) {
  FakeClock clock(Utc(2022, 3, 15, 7, 0));
  const Clock& as_clock = clock;
  EXPECT_EQ(as_clock.Now(), as_clock.Now());
  clock.Advance(absl::Minutes(15));
  EXPECT_EQ(as_clock.Now(), Utc(2022, 3, 15, 7, 15));
  clock.SetNow(Utc(2022, 3, 14, 0, 0));
  EXPECT_EQ(as_clock.Now(), Utc(2022, 3, 14, 0, 0));
}

TEST(FakeClock, CountsEveryAdvanceFromManyThreads) {
  FakeClock clock;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&clock] {
      for (int i = 0; i < 1000; ++i) clock.Advance(absl::Seconds(1));
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(clock.Now(), absl::UnixEpoch() + absl::Seconds(4000));
}

TEST(SystemClock, ReadsTheRealTime) {
  // The one test that must read the real clock.
  EXPECT_GT(SystemClock().Now(), Utc(2024, 1, 1, 0, 0));
}

}  // namespace
}  // namespace convene::core
