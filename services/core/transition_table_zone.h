// A Zone whose rules are an explicit list of transitions, not the system tz
// database: the seam for tests that need rules the installed tzdata does not
// have (a country dropping DST, a made-up zone with a midnight gap).
//
//   // "Europe/Brussels" as if the EU stopped changing clocks after 2026:
//   absl::StatusOr<Zone> brussels = MakeTransitionTableZone(
//       "Europe/Brussels", {absl::Hours(1), false, "CET"},
//       {{absl::FromCivil(absl::CivilSecond(2026, 3, 29, 1, 0, 0),
//                         absl::UTCTimeZone()),
//         {absl::Hours(2), true, "CEST"}},
//        {absl::FromCivil(absl::CivilSecond(2026, 10, 25, 1, 0, 0),
//                         absl::UTCTimeZone()),
//         {absl::Hours(1), false, "CET"}}});
//   // Events stored as local time + zone name now resolve with these rules.

#ifndef CONVENE_SERVICES_CORE_TRANSITION_TABLE_ZONE_H_
#define CONVENE_SERVICES_CORE_TRANSITION_TABLE_ZONE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/zone.h"
#include "core/zone_rules.h"

namespace convene::core {

// From instant `at` on, the zone applies `offset`.
struct ZoneTransition {
  absl::Time at;
  ZoneOffset offset;
};

// A zone named `name` that applies `initial` before the first transition and
// then each transition's offset from its instant on. Returns INVALID_ARGUMENT
// if `name` is empty, an instant is infinite, the instants are not strictly
// increasing, or an offset is not within +/-18 hours.
absl::StatusOr<Zone> MakeTransitionTableZone(
    std::string name, ZoneOffset initial,
    std::vector<ZoneTransition> transitions);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_TRANSITION_TABLE_ZONE_H_
