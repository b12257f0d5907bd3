// Strict ISO-8601 text for wall-clock (local) dates and times, the form the
// API uses: "2022-03-15T09:30" or "2022-03-15T09:30:00", and "2022-03-15".
// A local time carries no UTC offset: the zone travels separately.
//
//   absl::StatusOr<absl::CivilSecond> start =
//       ParseLocalDateTime(request.start_local(), "event.start_local");
//   if (!start.ok()) return start.status();
//   // "2022-02-30T09:00" -> INVALID_ARGUMENT
//   // "event.start_local: invalid local date-time \"2022-02-30T09:00\":
//   //  2022-02 has no day 30"
//   FormatLocalDateTime(*start);  // "2022-03-15T09:30"

#ifndef CONVENE_SERVICES_CORE_LOCAL_DATE_TIME_H_
#define CONVENE_SERVICES_CORE_LOCAL_DATE_TIME_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"

namespace convene::core {

// The years Convene schedules in: every local date and time the API takes
// (events, sessions, days, ranges) lies in them, so every instant derived
// from one fits an int64 of nanoseconds and a reminder is never due in 2262.
inline constexpr int kFirstScheduledYear = 1900;
inline constexpr int kLastScheduledYear = 2200;

// Parses exactly "YYYY-MM-DDThh:mm" or "YYYY-MM-DDThh:mm:ss" (years
// kFirstScheduledYear..kLastScheduledYear, hours 00-23). Anything else is INVALID_ARGUMENT naming `field`
// (if given), the value and the reason: an offset or "Z" (local times carry
// none), a date that does not exist, 24:00, a leap second, fractional
// seconds, a lowercase 't' or a space as separator, extra characters.
absl::StatusOr<absl::CivilSecond> ParseLocalDateTime(
    absl::string_view text, absl::string_view field = "");

// Parses exactly "YYYY-MM-DD" (the same years), with the same strictness.
absl::StatusOr<absl::CivilDay> ParseLocalDate(absl::string_view text,
                                              absl::string_view field = "");

// "2022-03-15T09:30", or "2022-03-15T09:30:15" when the seconds are not zero.
// ParseLocalDateTime() reads it back unchanged.
std::string FormatLocalDateTime(absl::CivilSecond local);

// "2022-03-15".
std::string FormatLocalDate(absl::CivilDay day);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_LOCAL_DATE_TIME_H_
