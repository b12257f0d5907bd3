// Conversions between absl civil times, absl::Time and seconds since the
// Unix epoch, shared by the ZoneRules implementations. Internal.

#ifndef CONVENE_SERVICES_CORE_INTERNAL_CIVIL_SECONDS_H_
#define CONVENE_SERVICES_CORE_INTERNAL_CIVIL_SECONDS_H_

#include <algorithm>
#include <cstdint>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/zone_rules.h"

namespace convene::core::internal {

inline constexpr absl::CivilSecond kUnixEpochCivil(1970, 1, 1, 0, 0, 0);
inline constexpr absl::CivilSecond kMinSupportedCivil(kMinSupportedYear, 1, 1,
                                                      0, 0, 0);
inline constexpr absl::CivilSecond kMaxSupportedCivil(kMaxSupportedYear, 12, 31,
                                                      23, 59, 59);

// Seconds from 1970-01-01T00:00:00 to `local`, both read on the same clock.
inline int64_t EpochSeconds(absl::CivilSecond local) {
  return local - kUnixEpochCivil;
}

// `local` moved into the supported years.
inline absl::CivilSecond ClampToSupported(absl::CivilSecond local) {
  return std::clamp(local, kMinSupportedCivil, kMaxSupportedCivil);
}

// `instant` moved into the supported years (read in UTC).
inline absl::Time ClampToSupported(absl::Time instant) {
  const absl::Time lo = absl::FromUnixSeconds(EpochSeconds(kMinSupportedCivil));
  const absl::Time hi = absl::FromUnixSeconds(EpochSeconds(kMaxSupportedCivil));
  return std::clamp(instant, lo, hi);
}

// The wall-clock time at `instant` for a zone whose offset is `utc_offset`.
// Sub-second parts of `instant` are dropped (rounded toward the past).
inline absl::CivilSecond LocalAt(absl::Time instant,
                                 absl::Duration utc_offset) {
  return kUnixEpochCivil +
         (absl::ToUnixSeconds(instant) + absl::ToInt64Seconds(utc_offset));
}

// The instant at which a clock running `utc_offset` ahead of UTC shows
// `local`.
inline absl::Time InstantOf(absl::CivilSecond local,
                            absl::Duration utc_offset) {
  return absl::FromUnixSeconds(EpochSeconds(local)) - utc_offset;
}

}  // namespace convene::core::internal

#endif  // CONVENE_SERVICES_CORE_INTERNAL_CIVIL_SECONDS_H_
