#include "core/tzdata_version.h"

#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/zoneinfo_directory.h"

namespace convene::core {

namespace {

std::string FirstLine(absl::string_view path) {
  std::ifstream file{std::string(path)};
  std::string line;
  if (!file || !std::getline(file, line)) return "";
  return line;
}

// `version`, trimmed, if it looks like a tz version; else "unknown".
std::string CheckedVersion(absl::string_view version) {
  version = absl::StripAsciiWhitespace(version);
  // Versions look like "2025b"; refuse anything else rather than echo a
  // strange file into logs and API responses.
  if (version.empty() || version.size() > 16) return "unknown";
  for (char c : version) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return "unknown";
  }
  return std::string(version);
}

}  // namespace

std::string TzdataVersionFromFile(absl::string_view path) {
  const std::string line = FirstLine(path);
  absl::string_view version = line;
  if (!absl::ConsumePrefix(&version, "# version ")) return "unknown";
  return CheckedVersion(version);
}

std::string ZoneinfoRootVersion(absl::string_view root) {
  std::string version = TzdataVersionFromFile(absl::StrCat(root, "/tzdata.zi"));
  if (version != "unknown") return version;
  const std::string line = FirstLine(absl::StrCat(root, "/+VERSION"));
  return line.empty() ? "unknown" : CheckedVersion(line);
}

std::string TzdataVersion() {
  // The zone rules a running process uses are read as zones are first used,
  // so the version at start-up is the honest answer; do not re-read.
  static const std::string* const version = [] {
    absl::StatusOr<const ZoneinfoDirectory*> dir = ConfiguredZoneinfoDirectory();
    if (!dir.ok()) return new std::string("unknown");
    if (*dir != nullptr) return new std::string((*dir)->version());
    return new std::string(ZoneinfoRootVersion("/usr/share/zoneinfo"));
  }();
  return *version;
}

}  // namespace convene::core
