#include "core/zoneinfo_directory.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/internal/civil_seconds.h"
#include "core/internal/field_error.h"
#include "core/tzdata_version.h"
#include "core/zone_rules.h"

namespace convene::core {
namespace {

// ZoneRules answered by Abseil's time zone library (cctz), which reads TZif
// files itself. The answers follow the ZoneRules contract exactly as the
// date/tz-backed system zones do; zoneinfo_directory_test compares the two
// around every transition of real zones.
class TzifZoneRules final : public ZoneRules {
 public:
  TzifZoneRules(std::string name, absl::TimeZone tz)
      : name_(std::move(name)), tz_(tz) {}

  absl::string_view name() const override { return name_; }

  ZoneOffset OffsetAt(absl::Time instant) const override {
    const absl::TimeZone::CivilInfo info =
        tz_.At(internal::ClampToSupported(instant));
    return ZoneOffset{absl::Seconds(info.offset), info.is_dst,
                      info.zone_abbr == nullptr ? "" : info.zone_abbr};
  }

  LocalTimeInfo Lookup(absl::CivilSecond local) const override {
    local = internal::ClampToSupported(local);
    const absl::TimeZone::TimeInfo info = tz_.At(local);
    // cctz gives the instants `local` maps to with the offsets before and
    // after the transition (`pre`, `post`); the offsets are the differences
    // between `local` read as UTC and those instants.
    const absl::Time as_utc = internal::InstantOf(local, absl::ZeroDuration());
    LocalTimeInfo out;
    out.offset_before = as_utc - info.pre;
    switch (info.kind) {
      case absl::TimeZone::TimeInfo::UNIQUE:
        out.offset_after = out.offset_before;
        break;
      case absl::TimeZone::TimeInfo::SKIPPED:
      case absl::TimeZone::TimeInfo::REPEATED:
        out.kind = info.kind == absl::TimeZone::TimeInfo::SKIPPED
                       ? LocalTimeKind::kGap
                       : LocalTimeKind::kOverlap;
        out.offset_after = as_utc - info.post;
        out.transition = info.trans;
        break;
    }
    return out;
  }

 private:
  std::string name_;
  absl::TimeZone tz_;
};

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '-' || c == '+';
}

// IANA names are '/'-separated parts of letters, digits, '_', '-' and '+'
// ("America/Argentina/Buenos_Aires", "Etc/GMT-14"), none empty; no dots, so
// no "..", and no leading '/': the name cannot leave the root, and the
// root's other files (tzdata.zi, zone.tab, +VERSION) are not zones.
bool IsZoneName(absl::string_view name) {
  if (name.empty() || name.size() > 255) return false;
  for (absl::string_view part : absl::StrSplit(name, '/')) {
    if (part.empty()) return false;
    for (char c : part) {
      if (!IsNameChar(c)) return false;
    }
  }
  return true;
}

bool StartsLikeTzif(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  char magic[4] = {};
  return file.read(magic, sizeof magic) &&
         std::string(magic, sizeof magic) == "TZif";
}

}  // namespace

absl::StatusOr<ZoneinfoDirectory> ZoneinfoDirectory::Open(std::string root) {
  std::error_code error;
  if (root.empty() || !std::filesystem::is_directory(root, error)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "zoneinfo root ", internal::Quote(root), " is not a directory"));
  }
  // cctz maps names that do not start with '/' onto $TZDIR: keep paths
  // absolute so that only this root is ever read.
  std::filesystem::path absolute = std::filesystem::absolute(root, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat(
        "zoneinfo root ", internal::Quote(root), ": ", error.message()));
  }
  std::string version = ZoneinfoRootVersion(absolute.string());
  return ZoneinfoDirectory(absolute.string(), std::move(version));
}

absl::StatusOr<Zone> ZoneinfoDirectory::Load(absl::string_view iana_name) const {
  const absl::Status absent = absl::NotFoundError(absl::StrCat(
      "no time zone ", internal::Quote(iana_name), " in ", root_));
  if (!IsZoneName(iana_name)) return absent;
  const std::string path = absl::StrCat(root_, "/", iana_name);
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error) || !StartsLikeTzif(path)) {
    return absent;
  }
  absl::TimeZone tz;
  if (!absl::LoadTimeZone(path, &tz)) {
    return absl::InternalError(
        absl::StrCat("cannot read time zone ", internal::Quote(iana_name),
                     ": ", path, " is not a valid TZif file"));
  }
  return Zone(std::make_shared<TzifZoneRules>(std::string(iana_name), tz));
}

absl::StatusOr<const ZoneinfoDirectory*> ConfiguredZoneinfoDirectory() {
  // Read once: zones are cached for the life of the process, so the root
  // they came from must not change under them.
  static const absl::StatusOr<const ZoneinfoDirectory*>* const configured =
      [] {
        using Result = absl::StatusOr<const ZoneinfoDirectory*>;
        const char* root = std::getenv(kZoneinfoDirectoryVariable);
        if (root == nullptr || *root == '\0') {
          return new Result(static_cast<const ZoneinfoDirectory*>(nullptr));
        }
        absl::StatusOr<ZoneinfoDirectory> dir = ZoneinfoDirectory::Open(root);
        if (!dir.ok()) {
          return new Result(absl::InvalidArgumentError(absl::StrCat(
              kZoneinfoDirectoryVariable, ": ", dir.status().message())));
        }
        return new Result(new ZoneinfoDirectory(*std::move(dir)));
      }();
  return *configured;
}

absl::StatusOr<const ZoneinfoDirectory*> SystemZoneinfoDirectory() {
  static const absl::StatusOr<const ZoneinfoDirectory*>* const system = [] {
    using Result = absl::StatusOr<const ZoneinfoDirectory*>;
    absl::StatusOr<ZoneinfoDirectory> dir = ZoneinfoDirectory::Open(kSystemZoneinfoRoot);
    if (!dir.ok()) {
      return new Result(absl::InternalError(absl::StrCat(
          "the system time zone database: ", dir.status().message(), " (install tzdata)")));
    }
    return new Result(new ZoneinfoDirectory(*std::move(dir)));
  }();
  return *system;
}

}  // namespace convene::core
