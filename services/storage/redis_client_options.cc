#include "storage/redis_client_options.h"

#include "absl/strings/str_cat.h"

namespace convene::storage {
namespace {

absl::Status CheckPositive(absl::string_view name, absl::Duration value) {
  if (value <= absl::ZeroDuration() || value == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "RedisClientOptions::", name, " must be positive and finite, got ",
        absl::FormatDuration(value)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateRedisClientOptions(const RedisClientOptions& options) {
  for (const auto& [name, value] :
       {std::pair<absl::string_view, absl::Duration>{"connect_timeout",
                                                     options.connect_timeout},
        {"command_timeout", options.command_timeout},
        {"min_backoff", options.min_backoff},
        {"max_backoff", options.max_backoff}}) {
    if (absl::Status s = CheckPositive(name, value); !s.ok()) return s;
  }
  if (options.min_backoff > options.max_backoff) {
    return absl::InvalidArgumentError(
        absl::StrCat("RedisClientOptions::min_backoff (",
                     absl::FormatDuration(options.min_backoff),
                     ") exceeds max_backoff (",
                     absl::FormatDuration(options.max_backoff), ")"));
  }
  if (!options.username.empty() && options.password.empty()) {
    return absl::InvalidArgumentError(
        "RedisClientOptions::username is set but password is empty");
  }
  return absl::OkStatus();
}

}  // namespace convene::storage
