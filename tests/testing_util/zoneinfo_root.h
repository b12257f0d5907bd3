// ZoneinfoRoot: a temporary zoneinfo root compiled by zic from tz source
// text, for tests of a tz database change (core/zoneinfo_directory.h). The
// source is kept as the root's tzdata.zi, so its first line names the
// version, as in a real root. Header-only, so that test binaries of every
// tier can use it without another library.
//
//   absl::StatusOr<ZoneinfoRoot> root = ZoneinfoRoot::Compile(
//       "# version 2027a\n"
//       "Zone Europe/Brussels 1:00 EU CE%sT 2027\n"
//       "                     1:00 -  CET\n" + kEuRules);
//   if (!root.ok()) GTEST_SKIP() << root.status();   // no zic here
//   ZoneinfoDirectory::Open(root->path());
#ifndef CONVENE_TESTS_TESTING_UTIL_ZONEINFO_ROOT_H_
#define CONVENE_TESTS_TESTING_UTIL_ZONEINFO_ROOT_H_

#include <stdlib.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace convene::testing_util {

// The EU's rules since 1996 (clocks change at 01:00 UTC on the last Sundays
// of March and October), as tzdata writes them.
inline constexpr absl::string_view kEuRules =
    "Rule EU 1981 max - Mar lastSun 1:00u 1:00 S\n"
    "Rule EU 1996 max - Oct lastSun 1:00u 0 -\n";

// Europe/Brussels as if the EU stopped changing clocks in 2027 and Belgium
// kept CET (UTC+1) all year, as tz release "2027a".
inline std::string BrusselsOnCetFrom2027Source() {
  return absl::StrCat(
      "# version 2027a\n", kEuRules,
      "Zone Europe/Brussels 1:00 EU CE%sT 2027\n"
      "                     1:00 - CET\n");
}

class ZoneinfoRoot {
 public:
  // Where zic is on Debian (package libc-bin).
  static constexpr char kZic[] = "/usr/sbin/zic";

  // Compiles `source` into a new temporary directory. FAILED_PRECONDITION
  // when zic is not installed (tests skip then), INTERNAL when it fails.
  static absl::StatusOr<ZoneinfoRoot> Compile(absl::string_view source) {
    if (access(kZic, X_OK) != 0) {
      return absl::FailedPreconditionError(
          absl::StrCat(kZic, " is not installed (Debian: libc-bin)"));
    }
    std::string pattern =
        (std::filesystem::temp_directory_path() / "convene-tz-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      return absl::InternalError("mkdtemp failed");
    }
    ZoneinfoRoot root(pattern);
    const std::string zi = absl::StrCat(pattern, "/tzdata.zi");
    std::ofstream(zi) << source;
    const std::string command =
        absl::StrCat(kZic, " -d '", pattern, "' '", zi, "' 2>&1");
    if (std::system(command.c_str()) != 0) {
      return absl::InternalError(absl::StrCat("zic failed: ", command));
    }
    return root;
  }

  ZoneinfoRoot(ZoneinfoRoot&& other) noexcept
      : path_(std::exchange(other.path_, "")) {}
  ZoneinfoRoot& operator=(ZoneinfoRoot&&) = delete;
  ~ZoneinfoRoot() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }

  // The root directory; removed with this object.
  const std::string& path() const { return path_; }

 private:
  explicit ZoneinfoRoot(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_ZONEINFO_ROOT_H_
