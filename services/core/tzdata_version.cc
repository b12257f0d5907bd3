#include "core/tzdata_version.h"

#include <fstream>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace convene::core {

std::string TzdataVersionFromFile(absl::string_view path) {
  std::ifstream file{std::string(path)};
  std::string line;
  if (!file || !std::getline(file, line)) return "unknown";
  absl::string_view version = line;
  if (!absl::ConsumePrefix(&version, "# version ")) return "unknown";
  version = absl::StripAsciiWhitespace(version);
  // Versions look like "2025b"; refuse anything else rather than echo a
  // strange file into logs and API responses.
  if (version.empty() || version.size() > 16) return "unknown";
  for (char c : version) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return "unknown";
  }
  return std::string(version);
}

std::string TzdataVersion() {
  // The zone rules a running process uses are read as zones are first used,
  // so the version at start-up is the honest answer; do not re-read.
  static const std::string* const version =
      new std::string(TzdataVersionFromFile("/usr/share/zoneinfo/tzdata.zi"));
  return *version;
}

}  // namespace convene::core
