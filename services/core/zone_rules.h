// ZoneRules: what a time zone must answer, as an interface. Zone (zone.h)
// holds one; ResolveZone() backs it with the system tz database, and
// MakeTransitionTableZone() (transition_table_zone.h) with rules you write,
// which is the test seam for "the tz database changed".
//
//   const ZoneRules& rules = zone.rules();
//   ZoneOffset now = rules.OffsetAt(absl::Now());        // e.g. +02:00 CEST
//   LocalTimeInfo info = rules.Lookup(absl::CivilSecond(2022, 3, 27, 2, 30));
//   // info.kind == LocalTimeKind::kGap, offsets +01:00 -> +02:00
//
// Most code should use the free functions in local_time_resolution.h and
// zoned_rendering.h rather than call ZoneRules directly.

#ifndef CONVENE_SERVICES_CORE_ZONE_RULES_H_
#define CONVENE_SERVICES_CORE_ZONE_RULES_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace convene::core {

// The offset a zone applies during some stretch of time, and its label.
struct ZoneOffset {
  absl::Duration utc_offset;  // local wall clock = UTC + utc_offset
  bool is_dst = false;        // true while daylight-saving time is in force
  std::string abbreviation;   // e.g. "CEST"; some zones use "+03"
};

// How a zone maps one wall-clock time to instants.
enum class LocalTimeKind {
  kUnique,   // exactly one instant has this wall-clock time
  kGap,      // clocks jumped forward over it: no instant has it
  kOverlap,  // clocks went back over it: two instants have it
};

// What a zone says about one wall-clock time.
struct LocalTimeInfo {
  LocalTimeKind kind = LocalTimeKind::kUnique;
  // kUnique: the zone's offset at that time. kGap/kOverlap: the offset in
  // force just before `transition`.
  absl::Duration offset_before;
  // kUnique: equal to offset_before. kGap/kOverlap: the offset from
  // `transition` on (larger than offset_before for a gap, smaller for an
  // overlap).
  absl::Duration offset_after;
  // kGap/kOverlap: the instant the offset changes. kUnique: InfiniteFuture.
  absl::Time transition = absl::InfiniteFuture();
};

// Years in which zone calculations are promised to be exact. Outside them,
// implementations answer for the nearest supported time instead.
inline constexpr int kMinSupportedYear = 1;
inline constexpr int kMaxSupportedYear = 9999;

// The rules of one time zone. Implementations are immutable and safe to call
// from many threads at once.
class ZoneRules {
 public:
  virtual ~ZoneRules() = default;

  // The zone's name, e.g. "Europe/Brussels".
  virtual absl::string_view name() const = 0;

  // The offset in force at `instant`.
  virtual ZoneOffset OffsetAt(absl::Time instant) const = 0;

  // Whether `local` exists once, never, or twice, with the offsets involved.
  virtual LocalTimeInfo Lookup(absl::CivilSecond local) const = 0;
};

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_ZONE_RULES_H_
