// Fuzzes the ISO-8601 duration parser (reminder offsets) in both
// NegativeDuration modes. Promises checked, for any bytes:
// - a refusal is INVALID_ARGUMENT naming the field;
// - the modes agree except that kReject refuses a negative non-zero value;
// - an accepted value is finite and whole seconds;
// - round trip: FormatIsoDuration() of it parses back to the same value.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/iso_duration.h"
#include "fuzz_check.h"

namespace convene::core {
namespace {

void CheckRefusal(const absl::Status& status) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
             "unexpected status ", status.ToString());
  FUZZ_CHECK(absl::StartsWith(status.message(), "fuzz.offset: "),
             "the message does not name the field: ", status.message());
}

void Fuzz(absl::string_view text) {
  const absl::StatusOr<absl::Duration> allowed =
      ParseIsoDuration(text, NegativeDuration::kAllow, "fuzz.offset");
  const absl::StatusOr<absl::Duration> rejecting =
      ParseIsoDuration(text, NegativeDuration::kReject, "fuzz.offset");
  if (!allowed.ok()) {
    CheckRefusal(allowed.status());
    FUZZ_CHECK(!rejecting.ok(), "kReject accepts what kAllow refuses");
    return CheckRefusal(rejecting.status());
  }
  const absl::Duration d = *allowed;
  if (d < absl::ZeroDuration()) {
    FUZZ_CHECK(!rejecting.ok(), "kReject accepts the negative ",
               absl::FormatDuration(d));
    CheckRefusal(rejecting.status());
  } else {
    FUZZ_CHECK(rejecting.ok() && *rejecting == d,
               "kReject disagrees with kAllow on ", absl::FormatDuration(d),
               ": ", rejecting.status().ToString());
  }
  FUZZ_CHECK(d != absl::InfiniteDuration() && d != -absl::InfiniteDuration(),
             "an infinite duration");
  FUZZ_CHECK(d == absl::Seconds(absl::ToInt64Seconds(d)),
             "not whole seconds: ", absl::FormatDuration(d));

  const std::string formatted = FormatIsoDuration(d);
  const absl::StatusOr<absl::Duration> again =
      ParseIsoDuration(formatted, NegativeDuration::kAllow);
  FUZZ_CHECK(
      again.ok() && *again == d, "FormatIsoDuration(", absl::FormatDuration(d),
      ") = \"", formatted, "\" does not read back: ",
      again.ok() ? absl::FormatDuration(*again) : again.status().ToString());
}

}  // namespace
}  // namespace convene::core

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  convene::core::Fuzz(
      absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
