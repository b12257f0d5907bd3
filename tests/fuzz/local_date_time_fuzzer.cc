// Fuzzes the strict ISO-8601 local date and date-time parsers (the form every
// API local time takes). Promises checked, for any bytes:
// - a refusal is INVALID_ARGUMENT naming the field;
// - an accepted value lies in 0001..9999 and is the canonical text: its
//   Format*() is the input (up to a ":00" seconds part);
// - the formatted text parses back to the same value.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "core/local_date_time.h"
#include "fuzz_check.h"

namespace convene::core {
namespace {

void CheckRefusal(const absl::Status& status) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
             "unexpected status ", status.ToString());
  FUZZ_CHECK(absl::StartsWith(status.message(), "fuzz.local: "),
             "the message does not name the field: ", status.message());
}

void FuzzDateTime(absl::string_view text) {
  const absl::StatusOr<absl::CivilSecond> local =
      ParseLocalDateTime(text, "fuzz.local");
  if (!local.ok()) return CheckRefusal(local.status());
  FUZZ_CHECK(local->year() >= 1 && local->year() <= 9999, "year ",
             local->year());
  const std::string formatted = FormatLocalDateTime(*local);
  FUZZ_CHECK(text == formatted || text == formatted + ":00",
             "accepted a non-canonical text, formatted as ", formatted);
  const absl::StatusOr<absl::CivilSecond> again = ParseLocalDateTime(formatted);
  FUZZ_CHECK(again.ok() && *again == *local, "\"", formatted,
             "\" does not read back: ", again.status().ToString());
}

void FuzzDate(absl::string_view text) {
  const absl::StatusOr<absl::CivilDay> day = ParseLocalDate(text, "fuzz.local");
  if (!day.ok()) return CheckRefusal(day.status());
  FUZZ_CHECK(day->year() >= 1 && day->year() <= 9999, "year ", day->year());
  const std::string formatted = FormatLocalDate(*day);
  FUZZ_CHECK(text == formatted, "accepted a non-canonical text, formatted as ",
             formatted);
  const absl::StatusOr<absl::CivilDay> again = ParseLocalDate(formatted);
  FUZZ_CHECK(again.ok() && *again == *day, "\"", formatted,
             "\" does not read back: ", again.status().ToString());
}

}  // namespace
}  // namespace convene::core

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  convene::core::FuzzDateTime(text);
  convene::core::FuzzDate(text);
  return 0;
}
