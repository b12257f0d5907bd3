// ISO-8601 durations for reminder offsets and similar: "PT15M", "PT1H",
// "P7D", "P1DT2H30M", "P2W", and with a sign "-PT15M" where allowed.
// Only exact units: days (24 hours), weeks (7 days), hours, minutes, seconds.
// Years and months have no fixed length and are rejected.
//
//   absl::StatusOr<absl::Duration> before =
//       ParseIsoDuration(request.remind_before(), NegativeDuration::kReject,
//                        "reminder.before");
//   // "P1M" -> INVALID_ARGUMENT "reminder.before: invalid duration \"P1M\":
//   //          months are not supported (their length varies); use days"
//   FormatIsoDuration(absl::Hours(26) + absl::Minutes(30));  // "P1DT2H30M"
//
// Note that "P1D" is exactly 24 hours. Across a DST change the same wall-clock
// time one calendar day later is 23 or 25 hours away: use civil arithmetic
// (absl::CivilDay) and ToInstant() for that.

#ifndef CONVENE_SERVICES_CORE_ISO_DURATION_H_
#define CONVENE_SERVICES_CORE_ISO_DURATION_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convene::core {

// Whether ParseIsoDuration() accepts a leading '-'.
enum class NegativeDuration { kReject, kAllow };

// Parses "[+|-]P[nD][T[nH][nM][nS]]" or "[+|-]PnW": uppercase designators in
// this order, each at most once, at least one of them, whole numbers of at
// most 9 digits, less than 10^9 days in all. Returns INVALID_ARGUMENT naming
// `field` (if given), the value and the reason otherwise, or for a negative
// non-zero duration unless `negative` is kAllow.
absl::StatusOr<absl::Duration> ParseIsoDuration(
    absl::string_view text,
    NegativeDuration negative = NegativeDuration::kReject,
    absl::string_view field = "");

// The shortest text ParseIsoDuration() reads back as `duration`, using days,
// hours, minutes and seconds: "PT0S", "PT15M", "P7D", "-P1DT2H30M".
// Sub-second parts are dropped (rounded toward zero). `duration` must be
// finite.
std::string FormatIsoDuration(absl::Duration duration);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_ISO_DURATION_H_
