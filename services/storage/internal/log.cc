#include "storage/internal/log.h"

#include <cstdio>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace convene::storage::internal {
namespace {

void Log(const char* level, absl::string_view message) {
  std::string when = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                      absl::UTCTimeZone());
  // One fprintf per line so concurrent lines do not interleave.
  std::fprintf(stderr, "%s convene storage [%s] %.*s\n", when.c_str(), level,
               static_cast<int>(message.size()), message.data());
}

}  // namespace

void LogInfo(absl::string_view message) { Log("INFO", message); }
void LogWarning(absl::string_view message) { Log("WARNING", message); }

}  // namespace convene::storage::internal
