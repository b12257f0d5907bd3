#include "core/backoff.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace convene::core {
namespace {

TEST(Backoff, DoublesWithJitterUpToTheMaximumAndResets) {
  Backoff backoff(absl::Milliseconds(50), absl::Seconds(2));
  absl::Duration ceiling = absl::Milliseconds(50);
  for (int i = 0; i < 12; ++i) {
    absl::Duration d = backoff.Next();
    EXPECT_GE(d, ceiling / 2) << "attempt " << i;
    EXPECT_LE(d, ceiling) << "attempt " << i;
    ceiling = std::min(ceiling * 2, absl::Seconds(2));
  }
  backoff.Reset();
  EXPECT_LE(backoff.Next(), absl::Milliseconds(50));
}

}  // namespace
}  // namespace convene::core
