// ZoneinfoDirectory: zone rules from a zoneinfo root of one's own (TZif files
// compiled by zic, laid out like /usr/share/zoneinfo), rather than the
// system tz database that date/tz reads.
//
// It is what the CONVENE_TZDIR environment variable turns on: a deployment
// that needs newer rules than its distribution ships (a country has just
// abolished DST) compiles them with zic into a directory and points
// CONVENE_TZDIR at it; ResolveZone() then takes each zone found there from
// there, and every other zone from the system database, and TzdataVersion()
// reports the directory's version. It is also the seam for tests of a tz
// database change: compile the changed rules into a temporary directory.
//
//   // zic -d /tmp/tz /tmp/tz/tzdata.zi   (its first line: "# version 2027a")
//   absl::StatusOr<ZoneinfoDirectory> dir = ZoneinfoDirectory::Open("/tmp/tz");
//   absl::StatusOr<Zone> brussels = dir->Load("Europe/Brussels");
//   dir->version();  // "2027a"
//
// Zones loaded here follow the TZif footer's rule past the file's last
// listed transition (unlike date 3.0.1). System zones are loaded the same
// way, from SystemZoneinfoDirectory().

#ifndef CONVENE_SERVICES_CORE_ZONEINFO_DIRECTORY_H_
#define CONVENE_SERVICES_CORE_ZONEINFO_DIRECTORY_H_

#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/zone.h"

namespace convene::core {

// The environment variable naming the zoneinfo root ResolveZone() prefers.
inline constexpr char kZoneinfoDirectoryVariable[] = "CONVENE_TZDIR";

class ZoneinfoDirectory {
 public:
  // The zoneinfo root at `root`, an existing directory; INVALID_ARGUMENT
  // otherwise. Its version is read here, once.
  static absl::StatusOr<ZoneinfoDirectory> Open(std::string root);

  // The root as given.
  const std::string& root() const { return root_; }

  // The tz database version of the root: the first line of its tzdata.zi
  // ("# version 2027a"), else the first line of its +VERSION file, else
  // "unknown" (see tzdata_version.h).
  const std::string& version() const { return version_; }

  // The zone `iana_name` from the TZif file root/iana_name. NOT_FOUND when
  // the root has no zone of that name: the name is not of the form of an
  // IANA zone name (which keeps user input inside the root), or the file is
  // absent or is not a TZif file (zone.tab, leapseconds). INTERNAL when the
  // file starts like a TZif file but cannot be loaded.
  absl::StatusOr<Zone> Load(absl::string_view iana_name) const;

 private:
  ZoneinfoDirectory(std::string root, std::string version)
      : root_(std::move(root)), version_(std::move(version)) {}

  std::string root_;
  std::string version_;
};

// The directory $CONVENE_TZDIR names, opened at the first call and kept for
// the life of the process (as zones are): nullptr when the variable is unset
// or empty, INVALID_ARGUMENT naming the variable when it does not name a
// directory.
absl::StatusOr<const ZoneinfoDirectory*> ConfiguredZoneinfoDirectory();

// Where the system's TZif files are (Debian's tzdata package).
inline constexpr char kSystemZoneinfoRoot[] = "/usr/share/zoneinfo";

// The system root, opened at the first call and kept (as zones are):
// ResolveZone() reads every zone CONVENE_TZDIR does not have from it.
// INTERNAL when it is missing (install tzdata).
absl::StatusOr<const ZoneinfoDirectory*> SystemZoneinfoDirectory();

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_ZONEINFO_DIRECTORY_H_
