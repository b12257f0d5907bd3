// The cities of the CONNECTION network (and two far-away places online
// participants join from) mapped to their IANA time zones, so that users can
// say "Torino" where the API wants "Europe/Rome".
//
//   absl::StatusOr<std::string> zone =
//       ZoneForCity(request.city(), "participants[2].city");
//   // "Göteborg", "GOTEBORG", "Gothenburg" -> "Europe/Stockholm"
//   // "Springfield" -> INVALID_ARGUMENT "participants[2].city: unknown city
//   //   \"Springfield\"; give an IANA time zone instead, e.g.
//   //   \"Europe/Brussels\""
//   if (!zone.ok()) return zone.status();
//   absl::StatusOr<Zone> resolved = ResolveZone(*zone, "participants[2].city");
//
// The table is built in and small on purpose: it knows the network's cities
// (SCENARIO.md), not the world's. Anyone else gives a zone name.

#ifndef CONVENE_SERVICES_CORE_CITY_ZONES_H_
#define CONVENE_SERVICES_CORE_CITY_ZONES_H_

#include <span>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convene::core {

// One city of the table, under its English name.
struct CityZone {
  absl::string_view city;       // e.g. "Turin"
  absl::string_view iana_zone;  // e.g. "Europe/Rome"
};

// Every city ZoneForCity() knows, once each under its English name, in a
// fixed order. Aliases (Torino, Bruxelles, ...) are not listed.
std::span<const CityZone> KnownCities();

// The IANA zone of `city`. Matching ignores case, accents (ö = o, ł = l,
// Greek tonos), surrounding spaces, and treats runs of spaces, hyphens,
// underscores and dots alike ("settimo-torinese"). Local and common foreign
// names are aliases: Bruxelles/Brussel, Antwerpen, Athina/Αθήνα,
// Göteborg, Torino, Warszawa, Praha, София, NYC, ... Returns
// INVALID_ARGUMENT, prefixed with `field` if given, naming an empty or
// unknown city and suggesting to give a time zone instead.
absl::StatusOr<std::string> ZoneForCity(absl::string_view city,
                                        absl::string_view field = "");

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_CITY_ZONES_H_
