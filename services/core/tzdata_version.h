// The version of the system tz database, for logs, health output and for
// stamping stored events with the rules they were resolved under.
// (date/tz's get_tzdb().version says "unknown" on Debian.)
//
//   LogInfo(absl::StrCat("tzdata ", TzdataVersion()));  // "tzdata 2025b"

#ifndef CONVENE_SERVICES_CORE_TZDATA_VERSION_H_
#define CONVENE_SERVICES_CORE_TZDATA_VERSION_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convene::core {

// The version in the first line of /usr/share/zoneinfo/tzdata.zi
// ("# version 2025b" -> "2025b"), or "unknown" if that file cannot be read or
// its first line has another form. Read once, at the first call: a tzdata
// upgrade while the process runs is seen after a restart.
std::string TzdataVersion();

// As TzdataVersion(), for the tzdata.zi file at `path`; not cached.
std::string TzdataVersionFromFile(absl::string_view path);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_TZDATA_VERSION_H_
