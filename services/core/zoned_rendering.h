// Instant -> what a viewer's wall clock shows in their zone, and the text
// forms for it.
//
//   absl::StatusOr<Zone> tokyo = ResolveZone("Asia/Tokyo");
//   // A 17:00 Brussels session on 2022-03-15 (16:00Z):
//   ZonedTime there = ToZoned(*tokyo, session_start);
//   // there.local == 2022-03-16T01:00, utc_offset +9h, abbreviation "JST"
//   FormatLocal(there);    // "2022-03-16T01:00 JST (+09:00)"
//   FormatRfc3339(there);  // "2022-03-16T01:00:00+09:00"

#ifndef CONVENE_SERVICES_CORE_ZONED_RENDERING_H_
#define CONVENE_SERVICES_CORE_ZONED_RENDERING_H_

#include <string>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/zone.h"

namespace convene::core {

// An instant as seen in one zone.
struct ZonedTime {
  absl::CivilSecond local;    // the wall-clock time
  absl::Duration utc_offset;  // local = UTC + utc_offset
  std::string abbreviation;   // e.g. "CEST"; some zones use "+03"
  bool is_dst = false;        // daylight-saving time is in force
};

// `instant` on `zone`'s wall clock. Sub-second parts are dropped; instants
// outside the years 0001..9999 are moved to the nearest supported one.
ZonedTime ToZoned(const Zone& zone, absl::Time instant);

// "+02:00", "-05:00", "+05:30", "+00:00"; "+00:17:30" when the offset has
// seconds (old local mean times).
std::string FormatUtcOffset(absl::Duration utc_offset);

// For people and messages: "2022-03-16T01:00 JST (+09:00)". Seconds appear
// only when non-zero; a numeric abbreviation such as "+03" is left out.
std::string FormatLocal(const ZonedTime& zoned);

// For machines (RFC 3339, always with seconds): "2022-03-16T01:00:00+09:00".
// Names the same instant as was passed to ToZoned(), up to sub-seconds.
// (Offsets with seconds, found before about 1900, print as "+00:17:30",
// which strict RFC 3339 parsers refuse.)
std::string FormatRfc3339(const ZonedTime& zoned);

// `instant` in UTC in the style of FormatLocalDateTime(): "2022-03-27T01:00Z"
// ("2022-03-27T01:00:15Z" when the seconds are not zero).
std::string FormatUtcInstant(absl::Time instant);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_ZONED_RENDERING_H_
