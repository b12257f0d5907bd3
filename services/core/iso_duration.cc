#include "core/iso_duration.h"

#include <cstdint>
#include <iterator>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/internal/field_error.h"

namespace convene::core {
namespace {

constexpr absl::string_view kForms =
    "expected an ISO-8601 duration such as \"PT15M\", \"P7D\" or \"P1DT2H30M\"";
constexpr int kMaxDigits = 9;

struct Unit {
  char designator;
  bool in_time_part;  // after the 'T'
  absl::Duration length;
};

// In the order ISO-8601 requires. Weeks come first but may not be combined.
constexpr Unit kUnits[] = {
    {'W', false, absl::Hours(24 * 7)}, {'D', false, absl::Hours(24)},
    {'H', true, absl::Hours(1)},       {'M', true, absl::Minutes(1)},
    {'S', true, absl::Seconds(1)},
};
constexpr int kWeekUnit = 0;

// Returns an empty string and sets `*out` on success, else the reason.
std::string Read(absl::string_view text, NegativeDuration negative,
                 absl::Duration* out) {
  absl::string_view rest = text;
  bool is_negative = false;
  if (!rest.empty() && (rest[0] == '-' || rest[0] == '+')) {
    is_negative = rest[0] == '-';
    rest.remove_prefix(1);
  }
  if (rest.empty() || rest[0] != 'P') return std::string(kForms);
  rest.remove_prefix(1);

  absl::Duration total;
  bool in_time_part = false;
  int next_unit = 0;  // units before this one have been used or skipped
  bool any_unit = false;
  while (!rest.empty()) {
    if (rest[0] == 'T') {
      if (in_time_part) return "'T' appears twice";
      in_time_part = true;
      rest.remove_prefix(1);
      if (rest.empty())
        return "'T' must be followed by hours, minutes or seconds";
      continue;
    }
    size_t digits = 0;
    while (digits < rest.size() &&
           absl::ascii_isdigit(static_cast<unsigned char>(rest[digits]))) {
      ++digits;
    }
    if (digits == 0) {
      return absl::StrCat("expected a number at ", internal::Quote(rest));
    }
    if (digits > kMaxDigits) return "a number has more than 9 digits";
    if (digits == rest.size()) {
      return absl::StrCat("the number ", rest, " has no unit");
    }
    const char designator = rest[digits];
    if (designator == '.' || designator == ',') {
      return "fractions are not supported; use a smaller unit";
    }
    if (!in_time_part && (designator == 'Y' || designator == 'M')) {
      return absl::StrCat(designator == 'Y' ? "years" : "months",
                          " are not supported (their length varies); use days");
    }
    if (!in_time_part && (designator == 'H' || designator == 'S')) {
      return "hours, minutes and seconds go after a 'T', as in \"PT1H\"";
    }
    int unit = -1;
    for (int u = 0; u < static_cast<int>(std::size(kUnits)); ++u) {
      if (kUnits[u].designator == designator &&
          kUnits[u].in_time_part == in_time_part) {
        unit = u;
      }
    }
    if (unit < 0) {
      return absl::StrCat("unknown unit ",
                          internal::Quote(rest.substr(digits, 1)),
                          in_time_part ? " after 'T' (expected H, M or S)"
                                       : " before 'T' (expected D or W)");
    }
    if (unit < next_unit) {
      return "units must appear once each, in the order W, D, T, H, M, S";
    }
    if (any_unit && (unit == kWeekUnit || next_unit == kWeekUnit + 1)) {
      return "weeks cannot be combined with other units; use days";
    }
    int64_t count = 0;
    for (char c : rest.substr(0, digits)) count = count * 10 + (c - '0');
    total += count * kUnits[unit].length;
    any_unit = true;
    next_unit = unit + 1;
    rest.remove_prefix(digits + 1);
  }
  if (!any_unit) return std::string(kForms);
  // FormatIsoDuration() writes days: keep every duration read here one it
  // can write back in 9 digits.
  if (total >= absl::Hours(24) * int64_t{1000000000}) {
    return "longer than 999999999 days";
  }
  if (is_negative && total != absl::ZeroDuration() &&
      negative == NegativeDuration::kReject) {
    return "negative durations are not allowed here";
  }
  *out = is_negative ? -total : total;
  return "";
}

}  // namespace

absl::StatusOr<absl::Duration> ParseIsoDuration(absl::string_view text,
                                                NegativeDuration negative,
                                                absl::string_view field) {
  absl::Duration duration;
  if (std::string problem = Read(text, negative, &duration); !problem.empty()) {
    return internal::FieldError(
        field, absl::StrCat("invalid duration ", internal::Quote(text), ": ",
                            problem));
  }
  return duration;
}

std::string FormatIsoDuration(absl::Duration duration) {
  const bool is_negative = duration < absl::ZeroDuration();
  int64_t seconds = absl::ToInt64Seconds(absl::AbsDuration(duration));
  if (seconds == 0) return "PT0S";
  const int64_t days = seconds / 86400;
  const int64_t hours = seconds / 3600 % 24;
  const int64_t minutes = seconds / 60 % 60;
  seconds %= 60;
  std::string text = is_negative ? "-P" : "P";
  if (days != 0) absl::StrAppend(&text, days, "D");
  if (hours != 0 || minutes != 0 || seconds != 0) absl::StrAppend(&text, "T");
  if (hours != 0) absl::StrAppend(&text, hours, "H");
  if (minutes != 0) absl::StrAppend(&text, minutes, "M");
  if (seconds != 0) absl::StrAppend(&text, seconds, "S");
  return text;
}

}  // namespace convene::core
