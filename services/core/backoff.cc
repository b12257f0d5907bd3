#include "core/backoff.h"

#include <algorithm>

namespace convene::core {

absl::Duration Backoff::Next() {
  absl::Duration ceiling = min_;
  for (int i = 0; i < attempts_ && ceiling < max_; ++i) ceiling *= 2;
  ceiling = std::min(ceiling, max_);
  if (attempts_ < 64) ++attempts_;
  double fraction = absl::Uniform(bitgen_, 0.5, 1.0);
  return ceiling * fraction;
}

}  // namespace convene::core
