// Zone: a resolved time zone, cheap to copy, always valid. ResolveZone() turns
// an IANA name from user input into one, or into an INVALID_ARGUMENT status.
//
//   absl::StatusOr<Zone> zone = ResolveZone(request.zone(), "event.zone");
//   if (!zone.ok()) return zone.status();
//   // "event.zone: unknown time zone \"Europe/Bruxelles\""
//   absl::StatusOr<absl::Time> start = ToInstant(*zone, local_start);
//
// Zones from ResolveZone() read the system tz database (/usr/share/zoneinfo),
// unless the environment variable CONVENE_TZDIR names a zoneinfo root of
// TZif files (compiled by zic): zones found there come from there, and the
// rest from the system database (see zoneinfo_directory.h). Either way the
// TZif files are read by Abseil's reader, which follows each file's closing
// POSIX rule after its last listed transition (2037 in Debian's files), so
// the rules are right in every supported year; date/tz (3.0.1 ignores that
// rule) only says which names exist. Tests that need made-up rules can also
// build a Zone from their own ZoneRules: see transition_table_zone.h.

#ifndef CONVENE_SERVICES_CORE_ZONE_H_
#define CONVENE_SERVICES_CORE_ZONE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/zone_rules.h"

namespace convene::core {

// A time zone: a name plus the rules that map instants to wall-clock times.
// Copies share the (immutable) rules; copying costs a reference count.
class Zone {
 public:
  // A zone that follows `rules`, which must not be null.
  explicit Zone(std::shared_ptr<const ZoneRules> rules);

  // The zone's name, e.g. "Europe/Brussels".
  absl::string_view name() const { return rules_->name(); }

  // The rules; valid as long as any copy of this Zone lives.
  const ZoneRules& rules() const { return *rules_; }

 private:
  std::shared_ptr<const ZoneRules> rules_;
};

// Resolves an IANA zone name such as "Europe/Brussels" (names are
// case-sensitive, as in the tz database). Returns INVALID_ARGUMENT, prefixed
// with `field` if given, for an empty or unknown name; a name that differs
// only in case gets a "did you mean" hint. Returns INTERNAL if the system tz
// database cannot be read, if CONVENE_TZDIR is set but names no directory,
// or if the zone's file there is damaged. Results are cached: resolving the
// same name again is a hash lookup and yields a Zone sharing the same rules.
absl::StatusOr<Zone> ResolveZone(absl::string_view iana_name,
                                 absl::string_view field = "");

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_ZONE_H_
