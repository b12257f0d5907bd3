#include "core/zoned_rendering.h"

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/local_time_resolution.h"
#include "core/zone.h"
#include "core_test_util.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using testing::MustResolve;
using testing::Utc;

TEST(ToZoned, ShowsAThessalonikiMorningSessionAt3AmInNewYork) {
  // US clocks moved on 13 March 2022, so New York is at -04:00 on the 15th
  // while Athens is still at +02:00: 09:00 EET = 07:00Z = 03:00 EDT.
  absl::StatusOr<absl::Time> start = ToInstant(
      MustResolve("Europe/Athens"), absl::CivilSecond(2022, 3, 15, 9, 0, 0));
  ASSERT_TRUE(start.ok()) << start.status();
  EXPECT_EQ(*start, Utc(2022, 3, 15, 7, 0));

  const ZonedTime new_york = ToZoned(MustResolve("America/New_York"), *start);
  EXPECT_EQ(new_york.local, absl::CivilSecond(2022, 3, 15, 3, 0, 0));
  EXPECT_EQ(new_york.utc_offset, absl::Hours(-4));
  EXPECT_EQ(new_york.abbreviation, "EDT");
  EXPECT_TRUE(new_york.is_dst);
  EXPECT_EQ(FormatLocal(new_york), "2022-03-15T03:00 EDT (-04:00)");
  EXPECT_EQ(FormatRfc3339(new_york), "2022-03-15T03:00:00-04:00");
}

TEST(ToZoned, ShowsA5PmBrusselsSessionOnTheNextDayInTokyo) {
  absl::StatusOr<absl::Time> start = ToInstant(
      MustResolve("Europe/Brussels"), absl::CivilSecond(2022, 3, 15, 17, 0, 0));
  ASSERT_TRUE(start.ok()) << start.status();

  const ZonedTime tokyo = ToZoned(MustResolve("Asia/Tokyo"), *start);
  EXPECT_EQ(tokyo.local, absl::CivilSecond(2022, 3, 16, 1, 0, 0));
  EXPECT_EQ(tokyo.utc_offset, absl::Hours(9));
  EXPECT_EQ(tokyo.abbreviation, "JST");
  EXPECT_FALSE(tokyo.is_dst);
  EXPECT_EQ(FormatLocal(tokyo), "2022-03-16T01:00 JST (+09:00)");
  EXPECT_EQ(FormatRfc3339(tokyo), "2022-03-16T01:00:00+09:00");
}

TEST(ToZoned, ShowsTheSameInstantAnHourLaterInAthensThanInRome) {
  for (absl::Time instant : {Utc(2022, 1, 17, 8, 0), Utc(2022, 7, 18, 7, 0)}) {
    const ZonedTime rome = ToZoned(MustResolve("Europe/Rome"), instant);
    const ZonedTime athens = ToZoned(MustResolve("Europe/Athens"), instant);
    EXPECT_EQ(athens.local - rome.local, 3600) << instant;
    EXPECT_EQ(rome.local.hour(), 9) << instant;
  }
}

TEST(ToZoned, ReportsSummerAndWinterOffsetsAndAbbreviations) {
  const Zone helsinki = MustResolve("Europe/Helsinki");
  const ZonedTime winter = ToZoned(helsinki, Utc(2022, 1, 10, 12, 0));
  EXPECT_EQ(winter.utc_offset, absl::Hours(2));
  EXPECT_EQ(winter.abbreviation, "EET");
  EXPECT_FALSE(winter.is_dst);
  const ZonedTime summer = ToZoned(helsinki, Utc(2022, 7, 10, 12, 0));
  EXPECT_EQ(summer.utc_offset, absl::Hours(3));
  EXPECT_EQ(summer.abbreviation, "EEST");
  EXPECT_TRUE(summer.is_dst);
}

TEST(ToZoned, FollowsTheClockAcrossTheBrusselsSpringTransition) {
  const Zone brussels = MustResolve("Europe/Brussels");
  EXPECT_EQ(ToZoned(brussels, Utc(2022, 3, 27, 0, 59, 59)).local,
            absl::CivilSecond(2022, 3, 27, 1, 59, 59));
  EXPECT_EQ(ToZoned(brussels, Utc(2022, 3, 27, 1, 0)).local,
            absl::CivilSecond(2022, 3, 27, 3, 0, 0));
  EXPECT_EQ(ToZoned(brussels, Utc(2022, 3, 27, 1, 0)).abbreviation, "CEST");
}

TEST(ToZoned, DropsSubSeconds) {
  const ZonedTime athens =
      ToZoned(MustResolve("Europe/Athens"),
              Utc(2022, 3, 15, 7, 0) + absl::Milliseconds(999));
  EXPECT_EQ(athens.local, absl::CivilSecond(2022, 3, 15, 9, 0, 0));
}

TEST(ToZoned, ReportsLocalMeanTimeOffsetsWithSeconds) {
  // Brussels Mean Time, before 1892.
  const ZonedTime old =
      ToZoned(MustResolve("Europe/Brussels"), Utc(1880, 6, 1, 12, 0));
  EXPECT_EQ(old.utc_offset, absl::Minutes(17) + absl::Seconds(30));
  EXPECT_EQ(FormatUtcOffset(old.utc_offset), "+00:17:30");
  EXPECT_EQ(old.local, absl::CivilSecond(1880, 6, 1, 12, 17, 30));
}

TEST(ToZoned, FollowsTheZoneFilesRuleAfter2037) {
  // Debian's TZif files list transitions up to 2037 and end with a POSIX
  // rule for later years. date 3.0.1 ignored it (Brussels stayed on CET all
  // summer from 2038); zones are read with Abseil's reader, which follows it.
  const Zone brussels = MustResolve("Europe/Brussels");
  EXPECT_EQ(ToZoned(brussels, Utc(2037, 7, 1, 12, 0)).utc_offset,
            absl::Hours(2));
  const ZonedTime summer_2040 = ToZoned(brussels, Utc(2040, 7, 1, 12, 0));
  EXPECT_EQ(summer_2040.utc_offset, absl::Hours(2));
  EXPECT_EQ(summer_2040.abbreviation, "CEST");
  const ZonedTime winter_2099 = ToZoned(brussels, Utc(2099, 1, 15, 12, 0));
  EXPECT_EQ(winter_2099.utc_offset, absl::Hours(1));
  EXPECT_EQ(winter_2099.abbreviation, "CET");
}

TEST(FormatUtcOffset, WritesSignHoursAndMinutes) {
  EXPECT_EQ(FormatUtcOffset(absl::Hours(2)), "+02:00");
  EXPECT_EQ(FormatUtcOffset(absl::Hours(-5)), "-05:00");
  EXPECT_EQ(FormatUtcOffset(absl::Hours(5) + absl::Minutes(30)), "+05:30");
  EXPECT_EQ(FormatUtcOffset(-(absl::Hours(3) + absl::Minutes(30))), "-03:30");
  EXPECT_EQ(FormatUtcOffset(absl::Minutes(-30)), "-00:30");
  EXPECT_EQ(FormatUtcOffset(absl::ZeroDuration()), "+00:00");
  EXPECT_EQ(FormatUtcOffset(absl::Hours(14)), "+14:00");
}

TEST(FormatLocal, LeavesOutNumericAbbreviations) {
  // Since 2019 tzdata has no abbreviation for Brazil's time: it says "-03".
  const ZonedTime sao_paulo =
      ToZoned(MustResolve("America/Sao_Paulo"), Utc(2022, 3, 15, 7, 0));
  EXPECT_EQ(sao_paulo.abbreviation, "-03");
  EXPECT_EQ(FormatLocal(sao_paulo), "2022-03-15T04:00 (-03:00)");
}

TEST(FormatLocal, ShowsNonZeroSeconds) {
  ZonedTime zoned{absl::CivilSecond(2022, 3, 15, 9, 0, 5), absl::Hours(2),
                  "EET", false};
  EXPECT_EQ(FormatLocal(zoned), "2022-03-15T09:00:05 EET (+02:00)");
  EXPECT_EQ(FormatRfc3339(zoned), "2022-03-15T09:00:05+02:00");
}

TEST(FormatUtcInstant, WritesUtcWithZ) {
  EXPECT_EQ(FormatUtcInstant(Utc(2022, 3, 27, 1, 0)), "2022-03-27T01:00Z");
  EXPECT_EQ(FormatUtcInstant(Utc(2022, 3, 27, 1, 0, 15)),
            "2022-03-27T01:00:15Z");
}

}  // namespace
}  // namespace convene::core
