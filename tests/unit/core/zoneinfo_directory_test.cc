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
TEST(ZoneinfoDirectory, AnswersLikeTheSystemDatabaseAroundEveryTransition) {
  absl::StatusOr<ZoneinfoDirectory> system =
      ZoneinfoDirectory::Open("/usr/share/zoneinfo");
  ASSERT_TRUE(system.ok()) << system.status();
  EXPECT_EQ(system->version(), ZoneinfoRootVersion("/usr/share/zoneinfo"));
  // Zones with DST of one hour, half an hour (Lord Howe), negative DST
  // (Dublin, Casablanca), odd offsets (St John's, Kathmandu) and a zone that
  // skipped a whole day (Apia, 2011-12-30).
  for (const char* name :
       {"Europe/Brussels", "America/New_York", "Australia/Lord_Howe",
        "Europe/Dublin", "Africa/Casablanca", "America/St_Johns",
        "Asia/Kathmandu", "Pacific/Apia", "Europe/Athens"}) {
    SCOPED_TRACE(name);
    const Zone via_date = testing::MustResolve(name);
    absl::StatusOr<Zone> via_tzif = system->Load(name);
    ASSERT_TRUE(via_tzif.ok()) << via_tzif.status();
    absl::TimeZone tz;
    ASSERT_TRUE(absl::LoadTimeZone(name, &tz));
    absl::Time t = Utc(1970, 1, 1, 0, 0);
    int transitions = 0;
    absl::TimeZone::CivilTransition next;
    while (tz.NextTransition(t, &next)) {
      // `from` is the wall clock at the transition read with the offset in
      // force before it (the one at `t`).
      t = absl::FromCivil(next.from, absl::UTCTimeZone()) -
          absl::Seconds(tz.At(t).offset);
      if (t >= Utc(2037, 1, 1, 0, 0)) break;
      ++transitions;
      for (absl::Duration d : {absl::Seconds(-1), absl::ZeroDuration()}) {
        const ZoneOffset a = via_date.rules().OffsetAt(t + d);
        const ZoneOffset b = via_tzif->rules().OffsetAt(t + d);
        EXPECT_EQ(a.utc_offset, b.utc_offset) << t + d;
        EXPECT_EQ(a.is_dst, b.is_dst) << t + d;
        EXPECT_EQ(a.abbreviation, b.abbreviation) << t + d;
      }
      for (absl::CivilSecond around : {next.from, next.to}) {
        for (int s : {-3601, -1, 0, 1, 1799, 3599, 3600}) {
          const absl::CivilSecond local = around + s;
          const LocalTimeInfo a = via_date.rules().Lookup(local);
          const LocalTimeInfo b = via_tzif->rules().Lookup(local);
          EXPECT_EQ(a.kind, b.kind) << local;
          EXPECT_EQ(a.offset_before, b.offset_before) << local;
          EXPECT_EQ(a.offset_after, b.offset_after) << local;
          EXPECT_EQ(a.transition, b.transition) << local;
        }
      }
    }
    EXPECT_GT(transitions, 0);
  }
}

}  // namespace
}  // namespace convene::core
