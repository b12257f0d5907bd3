#include "core/local_time_resolution.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/zone.h"
#include "core_test_util.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using testing::MustResolve;
using testing::Utc;

// Europe/Brussels in 2022: clocks went 02:00 -> 03:00 on 27 March (a gap) and
// 03:00 -> 02:00 on 30 October (an overlap), both at 01:00 UTC.
const absl::CivilSecond kInSpringGap(2022, 3, 27, 2, 30, 0);
const absl::CivilSecond kInAutumnOverlap(2022, 10, 30, 2, 30, 0);

absl::Time MustConvert(const Zone& zone, absl::CivilSecond local,
                       LocalTimePolicy policy = LocalTimePolicy::kReject) {
  absl::StatusOr<absl::Time> instant = ToInstant(zone, local, policy);
  EXPECT_TRUE(instant.ok()) << instant.status();
  return instant.value_or(absl::InfinitePast());
}

TEST(ToInstant, ConvertsAnOrdinaryLocalTime) {
  const Zone brussels = MustResolve("Europe/Brussels");
  EXPECT_EQ(MustConvert(brussels, absl::CivilSecond(2022, 3, 15, 9, 0, 0)),
            Utc(2022, 3, 15, 8, 0));
  EXPECT_EQ(MustConvert(brussels, absl::CivilSecond(2022, 7, 15, 9, 0, 0)),
            Utc(2022, 7, 15, 7, 0));
}

TEST(ToInstant, RejectsATimeInTheGapNamingBothOffsetsAndTheTransition) {
  const Zone brussels = MustResolve("Europe/Brussels");
  absl::StatusOr<absl::Time> instant = ToInstant(brussels, kInSpringGap);
  EXPECT_EQ(instant.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(instant.status().message(),
            "local time 2022-03-27T02:30 does not exist in Europe/Brussels: it "
            "falls in the gap when clocks go from +01:00 to +02:00 at "
            "2022-03-27T02:00 (2022-03-27T01:00Z)");
}

TEST(ToInstant, RejectsAnAmbiguousTimeNamingBothOffsetsAndTheTransition) {
  const Zone brussels = MustResolve("Europe/Brussels");
  absl::StatusOr<absl::Time> instant =
      ToInstant(brussels, kInAutumnOverlap, LocalTimePolicy::kReject,
                "event.start_local");
  EXPECT_EQ(instant.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(instant.status().message(),
            "event.start_local: local time 2022-10-30T02:30 is ambiguous in "
            "Europe/Brussels: it occurs twice when clocks go from +02:00 to "
            "+01:00 at 2022-10-30T03:00 (2022-10-30T01:00Z)");
}

TEST(ToInstant, Rfc5545ReadsAGapTimeWithTheOffsetBeforeTheGap) {
  const Zone brussels = MustResolve("Europe/Brussels");
  // 02:30 +01:00 = 01:30Z, which Brussels shows as 03:30 CEST.
  EXPECT_EQ(MustConvert(brussels, kInSpringGap, LocalTimePolicy::kRfc5545),
            Utc(2022, 3, 27, 1, 30));
}

TEST(ToInstant, Rfc5545TakesTheFirstOccurrenceOfAnAmbiguousTime) {
  const Zone brussels = MustResolve("Europe/Brussels");
  EXPECT_EQ(MustConvert(brussels, kInAutumnOverlap, LocalTimePolicy::kRfc5545),
            Utc(2022, 10, 30, 0, 30));
}

TEST(ToInstant, EarlierAndLaterPickTheEarlierAndLaterCandidateInstant) {
  const Zone brussels = MustResolve("Europe/Brussels");
  // Gap: 02:30 read as +02:00 (00:30Z, shown as 01:30 CET) or as +01:00.
  EXPECT_EQ(MustConvert(brussels, kInSpringGap, LocalTimePolicy::kEarlier),
            Utc(2022, 3, 27, 0, 30));
  EXPECT_EQ(MustConvert(brussels, kInSpringGap, LocalTimePolicy::kLater),
            Utc(2022, 3, 27, 1, 30));
  // Overlap: the first (CEST) and the second (CET) 02:30.
  EXPECT_EQ(MustConvert(brussels, kInAutumnOverlap, LocalTimePolicy::kEarlier),
            Utc(2022, 10, 30, 0, 30));
  EXPECT_EQ(MustConvert(brussels, kInAutumnOverlap, LocalTimePolicy::kLater),
            Utc(2022, 10, 30, 1, 30));
}

TEST(ToInstant, TreatsTheBoundsOfGapAndOverlapAsHalfOpen) {
  const Zone brussels = MustResolve("Europe/Brussels");
  EXPECT_EQ(MustConvert(brussels, absl::CivilSecond(2022, 3, 27, 1, 59, 59)),
            Utc(2022, 3, 27, 0, 59, 59));
  EXPECT_FALSE(
      ToInstant(brussels, absl::CivilSecond(2022, 3, 27, 2, 0, 0)).ok());
  EXPECT_FALSE(
      ToInstant(brussels, absl::CivilSecond(2022, 3, 27, 2, 59, 59)).ok());
  EXPECT_EQ(MustConvert(brussels, absl::CivilSecond(2022, 3, 27, 3, 0, 0)),
            Utc(2022, 3, 27, 1, 0));

  EXPECT_EQ(MustConvert(brussels, absl::CivilSecond(2022, 10, 30, 1, 59, 59)),
            Utc(2022, 10, 29, 23, 59, 59));
  EXPECT_FALSE(
      ToInstant(brussels, absl::CivilSecond(2022, 10, 30, 2, 0, 0)).ok());
  EXPECT_EQ(MustConvert(brussels, absl::CivilSecond(2022, 10, 30, 3, 0, 0)),
            Utc(2022, 10, 30, 2, 0));
}

TEST(ToInstant, FindsHelsinkisGapAnHourLaterOnTheWallClock) {
  // EET zones change at the same instant, 03:00 -> 04:00 local.
  const Zone helsinki = MustResolve("Europe/Helsinki");
  EXPECT_EQ(MustConvert(helsinki, kInSpringGap), Utc(2022, 3, 27, 0, 30));
  absl::StatusOr<absl::Time> gap =
      ToInstant(helsinki, absl::CivilSecond(2022, 3, 27, 3, 30, 0));
  EXPECT_EQ(gap.status().message(),
            "local time 2022-03-27T03:30 does not exist in Europe/Helsinki: it "
            "falls in the gap when clocks go from +02:00 to +03:00 at "
            "2022-03-27T03:00 (2022-03-27T01:00Z)");
}

TEST(ToInstant, AthensIsOneHourAheadOfRomeInWinterAndSummer) {
  const Zone athens = MustResolve("Europe/Athens");
  const Zone rome = MustResolve("Europe/Rome");
  EXPECT_EQ(MustConvert(athens, absl::CivilSecond(2022, 1, 17, 10, 0, 0)),
            MustConvert(rome, absl::CivilSecond(2022, 1, 17, 9, 0, 0)));
  EXPECT_EQ(MustConvert(athens, absl::CivilSecond(2022, 1, 17, 10, 0, 0)),
            Utc(2022, 1, 17, 8, 0));
  EXPECT_EQ(MustConvert(athens, absl::CivilSecond(2022, 7, 18, 10, 0, 0)),
            MustConvert(rome, absl::CivilSecond(2022, 7, 18, 9, 0, 0)));
  EXPECT_EQ(MustConvert(athens, absl::CivilSecond(2022, 7, 18, 10, 0, 0)),
            Utc(2022, 7, 18, 7, 0));
}

TEST(ToInstant, RejectsYearsOutsideTheSupportedRange) {
  const Zone brussels = MustResolve("Europe/Brussels");
  absl::StatusOr<absl::Time> instant =
      ToInstant(brussels, absl::CivilSecond(10000, 1, 1, 0, 0, 0),
                LocalTimePolicy::kReject, "event.end_local");
  EXPECT_EQ(instant.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(instant.status().message(),
            "event.end_local: local time 10000-01-01T00:00 is outside the "
            "years 0001..9999");
}

TEST(Classify, ReportsAGapWithItsOffsetsAndTransition) {
  const LocalTimeInfo info =
      Classify(MustResolve("Europe/Brussels"), kInSpringGap);
  EXPECT_EQ(info.kind, LocalTimeKind::kGap);
  EXPECT_EQ(info.offset_before, absl::Hours(1));
  EXPECT_EQ(info.offset_after, absl::Hours(2));
  EXPECT_EQ(info.transition, Utc(2022, 3, 27, 1, 0));
}

TEST(Classify, ReportsAnOverlapWithItsOffsetsAndTransition) {
  const LocalTimeInfo info =
      Classify(MustResolve("Europe/Brussels"), kInAutumnOverlap);
  EXPECT_EQ(info.kind, LocalTimeKind::kOverlap);
  EXPECT_EQ(info.offset_before, absl::Hours(2));
  EXPECT_EQ(info.offset_after, absl::Hours(1));
  EXPECT_EQ(info.transition, Utc(2022, 10, 30, 1, 0));
}

TEST(Classify, ReportsAnOrdinaryTimeAsUniqueWithOneOffset) {
  const LocalTimeInfo info = Classify(MustResolve("America/New_York"),
                                      absl::CivilSecond(2022, 3, 15, 3, 0, 0));
  EXPECT_EQ(info.kind, LocalTimeKind::kUnique);
  EXPECT_EQ(info.offset_before, absl::Hours(-4));
  EXPECT_EQ(info.offset_after, absl::Hours(-4));
  EXPECT_EQ(info.transition, absl::InfiniteFuture());
}

}  // namespace
}  // namespace convene::core
