// The version of the tz database zones are resolved with, for logs, health
// output, for stamping stored events with the rules they were resolved under
// and for noticing a tz database change (see `convene-admin retime`).
// (date/tz's get_tzdb().version says "unknown" on Debian.)
//
//   LogInfo(absl::StrCat("tzdata ", TzdataVersion()));  // "tzdata 2025b"

#ifndef CONVENE_SERVICES_CORE_TZDATA_VERSION_H_
#define CONVENE_SERVICES_CORE_TZDATA_VERSION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convene::core {

// The version of the zoneinfo root ResolveZone() prefers: $CONVENE_TZDIR's
// when that is set (see zoneinfo_directory.h; "unknown" if it names no
// directory), else the system's, /usr/share/zoneinfo. Read once, at the
// first call: a tzdata upgrade while the process runs is seen after a
// restart.
std::string TzdataVersion();

// The version of the zoneinfo root `root`: as TzdataVersionFromFile() for
// root/tzdata.zi, else the first line of root/+VERSION ("2025b"; the file
// tz's own `make install` writes), else "unknown". Not cached.
std::string ZoneinfoRootVersion(absl::string_view root);

// The version in the first line of the tzdata.zi file at `path`
// ("# version 2025b" -> "2025b"), or "unknown" if that file cannot be read
// or its first line has another form. Not cached.
std::string TzdataVersionFromFile(absl::string_view path);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_TZDATA_VERSION_H_
