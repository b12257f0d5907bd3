// Every transition of 30 zones from 1970 to 2100, as ResolveZone() answers
// it, against an independent reading of the same tz database: the system's
// zdump(8) (glibc's), run by the test. Offsets, DST flags and abbreviations
// on both sides of each transition, and the gap or overlap it makes on the
// wall clock. The years after 2037 are the point: Debian's TZif files list
// transitions up to 2037 and a POSIX rule for later years, which date 3.0.1
// ignored. The test binary runs twice: as is, and with CONVENE_TZDIR set to
// the system root (tests/unit/core/CMakeLists.txt), which takes the other
// path through ResolveZone().
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "core/zone.h"
#include "core/zone_rules.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

// One line of `zdump -v`: an instant and what the zone says at it.
struct ZdumpLine {
  absl::Time instant;
  int64_t gmtoff = 0;
  bool isdst = false;
  std::string abbreviation;
};

// The lines of `zdump -v -c 1970,2101 zone`, NULL lines (beyond the
// representable range) left out.
std::vector<ZdumpLine> Zdump(const std::string& zone) {
  std::vector<ZdumpLine> out;
  const std::string command = absl::StrCat("zdump -v -c 1970,2101 ", zone);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  if (!pipe) return out;
  char buffer[512];
  while (fgets(buffer, sizeof buffer, pipe.get()) != nullptr) {
    // "Europe/Brussels  Sun Mar 29 00:59:59 2037 UT = Sun Mar 29 01:59:59 2037 CET isdst=0 gmtoff=3600"
    const std::string line(buffer);
    const size_t ut = line.find(" UT = ");
    if (ut == std::string::npos) continue;
    std::vector<std::string> left = absl::StrSplit(line.substr(0, ut), ' ', absl::SkipEmpty());
    std::vector<std::string> right =
        absl::StrSplit(line.substr(ut + 6), absl::ByAnyChar(" \n"), absl::SkipEmpty());
    if (left.size() < 6 || right.size() < 8) continue;
    ZdumpLine z;
    const std::string when = absl::StrCat(left[2], " ", left[3], " ", left[4], " ", left[5]);
    std::string error;
    if (!absl::ParseTime("%b %d %H:%M:%S %Y", when, absl::UTCTimeZone(), &z.instant, &error)) {
      ADD_FAILURE() << "cannot read zdump's time " << when << ": " << error;
      continue;
    }
    z.abbreviation = right[5];
    z.isdst = right[6] == "isdst=1";
    if (!absl::SimpleAtoi(absl::StripPrefix(right[7], "gmtoff="), &z.gmtoff)) continue;
    out.push_back(z);
  }
  return out;
}

TEST(ZoneTransitions, MatchZdumpFrom1970To2100InThirtyZones) {
  const std::vector<std::string> zones = {
      "Europe/Brussels", "Europe/Rome", "Europe/Athens", "Europe/Amsterdam",
      "Europe/London", "Europe/Dublin", "Europe/Lisbon", "Europe/Berlin",
      "Europe/Paris", "Europe/Madrid", "Europe/Helsinki", "Europe/Warsaw",
      "Europe/Bucharest", "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow",
      "Atlantic/Canary", "Atlantic/Azores", "America/New_York", "America/Chicago",
      "America/Los_Angeles", "America/St_Johns", "America/Sao_Paulo", "America/Santiago",
      "Africa/Casablanca", "Asia/Jerusalem", "Asia/Kathmandu", "Australia/Sydney",
      "Australia/Lord_Howe", "Pacific/Auckland"};
  int transitions = 0, after_2037 = 0, mismatches = 0;
  for (const std::string& name : zones) {
    SCOPED_TRACE(name);
    absl::StatusOr<Zone> zone = ResolveZone(name);
    ASSERT_TRUE(zone.ok()) << zone.status();
    const std::vector<ZdumpLine> lines = Zdump(name);
    ASSERT_GE(lines.size(), 2u) << "zdump gave nothing for " << name;
    for (const ZdumpLine& z : lines) {
      const ZoneOffset o = zone->rules().OffsetAt(z.instant);
      if (o.utc_offset != absl::Seconds(z.gmtoff) || o.is_dst != z.isdst ||
          o.abbreviation != z.abbreviation) {
        ++mismatches;
        ADD_FAILURE() << name << " at " << z.instant << ": convene "
                      << absl::ToInt64Seconds(o.utc_offset) << " " << o.is_dst << " "
                      << o.abbreviation << ", zdump " << z.gmtoff << " " << z.isdst << " "
                      << z.abbreviation;
      }
    }
    // zdump prints each transition as two lines: one second before, and at.
    for (size_t i = 0; i + 1 < lines.size(); i += 2) {
      const ZdumpLine& before = lines[i];
      const ZdumpLine& at = lines[i + 1];
      if (at.instant - before.instant != absl::Seconds(1)) continue;
      ++transitions;
      if (at.instant >= absl::FromCivil(absl::CivilSecond(2038, 1, 1, 0, 0, 0),
                                        absl::UTCTimeZone())) {
        ++after_2037;
      }
      if (before.gmtoff == at.gmtoff) continue;  // only the name or DST flag changed
      // The wall-clock times between the two readings of the transition
      // instant are a gap (clocks jump forward) or an overlap (back).
      const absl::Duration o1 = absl::Seconds(before.gmtoff), o2 = absl::Seconds(at.gmtoff);
      const absl::CivilSecond first = absl::ToCivilSecond(at.instant + std::min(o1, o2),
                                                          absl::UTCTimeZone());
      const LocalTimeInfo info = zone->rules().Lookup(first);
      const LocalTimeKind want = o2 > o1 ? LocalTimeKind::kGap : LocalTimeKind::kOverlap;
      if (info.kind != want || info.offset_before != o1 || info.offset_after != o2 ||
          info.transition != at.instant) {
        ++mismatches;
        ADD_FAILURE() << name << ": the wall clock at " << first << " around " << at.instant
                      << " should be a " << (want == LocalTimeKind::kGap ? "gap" : "overlap");
      }
    }
  }
  std::printf("zone transitions 1970-2100: %d zones, %d transitions (%d after 2037), "
              "%d mismatches against zdump\n",
              static_cast<int>(zones.size()), transitions, after_2037, mismatches);
  EXPECT_GT(after_2037, 1000);
  EXPECT_EQ(mismatches, 0);
}

}  // namespace
}  // namespace convene::core
