// Wall-clock (local) time in a zone -> instant, with an explicit rule for the
// times that DST changes make nonexistent (a gap) or ambiguous (an overlap).
//
//   absl::StatusOr<Zone> brussels = ResolveZone("Europe/Brussels");
//   // 2022-03-27 02:30 does not exist in Brussels (02:00 -> 03:00):
//   ToInstant(*brussels, absl::CivilSecond(2022, 3, 27, 2, 30, 0));
//   // INVALID_ARGUMENT "local time 2022-03-27T02:30 does not exist in
//   //   Europe/Brussels: it falls in the gap when clocks go from +01:00 to
//   //   +02:00 at 2022-03-27T02:00 (2022-03-27T01:00Z)"
//   ToInstant(*brussels, absl::CivilSecond(2022, 3, 27, 2, 30, 0),
//             LocalTimePolicy::kRfc5545);  // 2022-03-27T01:30Z (03:30 CEST)

#ifndef CONVENE_SERVICES_CORE_LOCAL_TIME_RESOLUTION_H_
#define CONVENE_SERVICES_CORE_LOCAL_TIME_RESOLUTION_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/zone.h"
#include "core/zone_rules.h"

namespace convene::core {

// What ToInstant() does with a local time that occurs never (gap) or twice
// (overlap). Examples in Europe/Brussels, where 2022-03-27 02:00-03:00 is a
// gap (+01:00 -> +02:00) and 2022-10-30 02:00-03:00 an overlap
// (+02:00 -> +01:00). Times that occur once are unaffected by the policy.
//
//   policy     gap: 03-27 02:30                overlap: 10-30 02:30
//   kReject    INVALID_ARGUMENT                INVALID_ARGUMENT
//   kRfc5545   01:30Z (= 03:30 CEST)           00:30Z (first, 02:30 CEST)
//   kEarlier   00:30Z (= 01:30 CET)            00:30Z (first, 02:30 CEST)
//   kLater     01:30Z (= 03:30 CEST)           01:30Z (second, 02:30 CET)
enum class LocalTimePolicy {
  // Refuse both; the message names the offsets and the transition. For API
  // writes: the user should pick a time that exists.
  kReject,
  // RFC 5545 section 3.3.5: read the time with the offset in force before
  // the transition. In a gap that moves it forward by the gap's length; in an
  // overlap it selects the first occurrence. For iCalendar import.
  kRfc5545,
  // The earlier of the two candidate instants (the time read with either
  // offset). In a gap: read with the offset after the transition, i.e. moved
  // back by the gap's length. In an overlap: the first occurrence.
  kEarlier,
  // The later of the two candidate instants. In a gap: read with the offset
  // before the transition (same as kRfc5545). In an overlap: the second
  // occurrence.
  kLater,
};

// Whether `local` occurs once, never or twice in `zone`, with the offsets
// before and after the transition involved.
LocalTimeInfo Classify(const Zone& zone, absl::CivilSecond local);

// The instant at which `zone`'s wall clock shows `local`, gaps and overlaps
// handled by `policy`. Returns INVALID_ARGUMENT, prefixed with `field` if
// given, for a gap or an overlap under kReject and for a year outside
// 0001..9999.
absl::StatusOr<absl::Time> ToInstant(
    const Zone& zone, absl::CivilSecond local,
    LocalTimePolicy policy = LocalTimePolicy::kReject,
    absl::string_view field = "");

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_LOCAL_TIME_RESOLUTION_H_
