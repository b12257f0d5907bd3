#include "core/zoneinfo_directory.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "core/local_time_resolution.h"
#include "core/tzdata_version.h"
#include "core_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing_util/zoneinfo_root.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;
using testing::Utc;
using testing_util::ZoneinfoRoot;

// `root`: `source` compiled by zic; the test is skipped when zic is missing.
#define ASSIGN_ROOT_OR_SKIP(root, source)                 \
  absl::StatusOr<ZoneinfoRoot> root##_or =                \
      ZoneinfoRoot::Compile(source);                      \
  if (absl::IsFailedPrecondition(root##_or.status())) {   \
    GTEST_SKIP() << root##_or.status();                   \
  }                                                       \
  ASSERT_TRUE(root##_or.ok()) << root##_or.status();      \
  const ZoneinfoRoot& root = *root##_or

TEST(ZoneinfoDirectory, RefusesSomethingThatIsNotADirectory) {
  EXPECT_EQ(ZoneinfoDirectory::Open("/no/such/zoneinfo").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ZoneinfoDirectory::Open("").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      ZoneinfoDirectory::Open("/usr/share/zoneinfo/tzdata.zi").status().message(),
      HasSubstr("is not a directory"));
}

TEST(ZoneinfoDirectory, LoadsAZoneCompiledByZic) {
  ASSIGN_ROOT_OR_SKIP(root, testing_util::BrusselsOnCetFrom2027Source());
  absl::StatusOr<ZoneinfoDirectory> dir = ZoneinfoDirectory::Open(root.path());
  ASSERT_TRUE(dir.ok()) << dir.status();
  EXPECT_EQ(dir->version(), "2027a");
  absl::StatusOr<Zone> brussels = dir->Load("Europe/Brussels");
  ASSERT_TRUE(brussels.ok()) << brussels.status();
  EXPECT_EQ(brussels->name(), "Europe/Brussels");

  // Summer 2026 still has CEST; summer 2027 is CET.
  const ZoneOffset summer_2026 = brussels->rules().OffsetAt(Utc(2026, 7, 5, 7, 0));
  EXPECT_EQ(summer_2026.utc_offset, absl::Hours(2));
  EXPECT_TRUE(summer_2026.is_dst);
  EXPECT_EQ(summer_2026.abbreviation, "CEST");
  const ZoneOffset summer_2027 = brussels->rules().OffsetAt(Utc(2027, 7, 5, 7, 0));
  EXPECT_EQ(summer_2027.utc_offset, absl::Hours(1));
  EXPECT_FALSE(summer_2027.is_dst);
  EXPECT_EQ(summer_2027.abbreviation, "CET");

  // 09:00 on 5 July 2027 is 08:00Z under these rules (07:00Z under EU DST).
  EXPECT_EQ(*ToInstant(*brussels, absl::CivilSecond(2027, 7, 5, 9, 0, 0)),
            Utc(2027, 7, 5, 8, 0));
}

TEST(ZoneinfoDirectory, ReportsGapsAndOverlapsAsSystemZonesDo) {
  ASSIGN_ROOT_OR_SKIP(root, testing_util::BrusselsOnCetFrom2027Source());
  const Zone brussels =
      *ZoneinfoDirectory::Open(root.path())->Load("Europe/Brussels");

  const LocalTimeInfo gap = Classify(brussels, absl::CivilSecond(2026, 3, 29, 2, 30, 0));
  EXPECT_EQ(gap.kind, LocalTimeKind::kGap);
  EXPECT_EQ(gap.offset_before, absl::Hours(1));
  EXPECT_EQ(gap.offset_after, absl::Hours(2));
  EXPECT_EQ(gap.transition, Utc(2026, 3, 29, 1, 0));

  const LocalTimeInfo overlap =
      Classify(brussels, absl::CivilSecond(2026, 10, 25, 2, 30, 0));
  EXPECT_EQ(overlap.kind, LocalTimeKind::kOverlap);
  EXPECT_EQ(overlap.offset_before, absl::Hours(2));
  EXPECT_EQ(overlap.offset_after, absl::Hours(1));
  EXPECT_EQ(overlap.transition, Utc(2026, 10, 25, 1, 0));

  // Without DST, 2027's last Sunday of March has no gap.
  const LocalTimeInfo none = Classify(brussels, absl::CivilSecond(2027, 3, 28, 2, 30, 0));
  EXPECT_EQ(none.kind, LocalTimeKind::kUnique);
  EXPECT_EQ(none.offset_before, absl::Hours(1));
  EXPECT_EQ(none.offset_after, absl::Hours(1));
  EXPECT_EQ(none.transition, absl::InfiniteFuture());

  // The policies apply to these zones unchanged.
  EXPECT_EQ(*ToInstant(brussels, absl::CivilSecond(2026, 3, 29, 2, 30, 0),
                       LocalTimePolicy::kRfc5545),
            Utc(2026, 3, 29, 1, 30));
  EXPECT_THAT(ToInstant(brussels, absl::CivilSecond(2026, 10, 25, 2, 30, 0))
                  .status()
                  .message(),
              HasSubstr("is ambiguous in Europe/Brussels"));
}

TEST(ZoneinfoDirectory, KeepsNamesInsideTheRootAndItsOtherFilesOut) {
  ASSIGN_ROOT_OR_SKIP(root, testing_util::BrusselsOnCetFrom2027Source());
  std::ofstream(root.path() + "/zone.tab") << "BE\t+5050+00420\tEurope/Brussels\n";
  const ZoneinfoDirectory dir = *ZoneinfoDirectory::Open(root.path());
  for (const char* name :
       {"", "Europe", "Europe/", "/Europe/Brussels", "Europe//Brussels",
        "../../../etc/passwd", "Europe/../Europe/Brussels", "/etc/passwd",
        "tzdata.zi", "zone.tab", "+VERSION", "Europe/Athens"}) {
    EXPECT_EQ(dir.Load(name).status().code(), absl::StatusCode::kNotFound)
        << name;
  }
}

TEST(ZoneinfoDirectory, ADamagedZoneFileIsAnInternalError) {
  ASSIGN_ROOT_OR_SKIP(root, testing_util::BrusselsOnCetFrom2027Source());
  std::ofstream(root.path() + "/Europe/Broken") << "TZif2 but nothing after";
  absl::StatusOr<Zone> broken =
      ZoneinfoDirectory::Open(root.path())->Load("Europe/Broken");
  EXPECT_EQ(broken.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(broken.status().message(), HasSubstr("not a valid TZif file"));
}

TEST(ZoneinfoDirectory, ReadsTheVersionFromPlusVersionWithoutTzdataZi) {
  ASSIGN_ROOT_OR_SKIP(root, testing_util::BrusselsOnCetFrom2027Source());
  std::filesystem::remove(root.path() + "/tzdata.zi");
  EXPECT_EQ(ZoneinfoDirectory::Open(root.path())->version(), "unknown");
  std::ofstream(root.path() + "/+VERSION") << "2027b\n";
  EXPECT_EQ(ZoneinfoDirectory::Open(root.path())->version(), "2027b");
}

// The system database through ZoneinfoDirectory (cctz) and through
// ResolveZone (date/tz) must give the same answers: retiming compares
// instants derived by the two.
// That zones from a root and system zones agree around every transition is
// zone_transitions_test: both are read the same way now, and compared with
// zdump instead.

}  // namespace
}  // namespace convene::core
