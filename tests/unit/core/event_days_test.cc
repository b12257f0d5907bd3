#include "core/event_days.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/local_time_resolution.h"
#include "core/transition_table_zone.h"
#include "core/zone.h"
#include "core_test_util.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using testing::MustResolve;
using testing::Utc;

std::vector<EventDay> MustSplit(
    const Zone& zone, absl::CivilSecond start, absl::CivilSecond end,
    LocalTimePolicy policy = LocalTimePolicy::kReject) {
  absl::StatusOr<std::vector<EventDay>> days =
      SplitIntoLocalDays(zone, start, end, policy);
  EXPECT_TRUE(days.ok()) << days.status();
  return days.value_or(std::vector<EventDay>{});
}

TEST(SplitIntoLocalDays, SplitsTheThessalonikiWorkshopIntoThreeDays) {
  const std::vector<EventDay> days = MustSplit(
      MustResolve("Europe/Athens"), absl::CivilSecond(2022, 3, 15, 9, 30, 0),
      absl::CivilSecond(2022, 3, 17, 17, 30, 0));
  ASSERT_EQ(days.size(), 3u);

  EXPECT_EQ(days[0].date, absl::CivilDay(2022, 3, 15));
  EXPECT_EQ(days[0].local_start, absl::CivilSecond(2022, 3, 15, 9, 30, 0));
  EXPECT_EQ(days[0].local_end, absl::CivilSecond(2022, 3, 16, 0, 0, 0));
  EXPECT_EQ(days[0].start, Utc(2022, 3, 15, 7, 30));
  EXPECT_EQ(days[0].end, Utc(2022, 3, 15, 22, 0));

  EXPECT_EQ(days[1].date, absl::CivilDay(2022, 3, 16));
  EXPECT_EQ(days[1].local_start, absl::CivilSecond(2022, 3, 16, 0, 0, 0));
  EXPECT_EQ(days[1].local_end, absl::CivilSecond(2022, 3, 17, 0, 0, 0));
  EXPECT_EQ(days[1].start, Utc(2022, 3, 15, 22, 0));
  EXPECT_EQ(days[1].end, Utc(2022, 3, 16, 22, 0));

  EXPECT_EQ(days[2].date, absl::CivilDay(2022, 3, 17));
  EXPECT_EQ(days[2].local_start, absl::CivilSecond(2022, 3, 17, 0, 0, 0));
  EXPECT_EQ(days[2].local_end, absl::CivilSecond(2022, 3, 17, 17, 30, 0));
  EXPECT_EQ(days[2].start, Utc(2022, 3, 16, 22, 0));
  EXPECT_EQ(days[2].end, Utc(2022, 3, 17, 15, 30));
}

TEST(SplitIntoLocalDays, KeepsLocalHoursAcrossTheSpringChangeWhileUtcMoves) {
  const Zone brussels = MustResolve("Europe/Brussels");
  const std::vector<EventDay> days =
      MustSplit(brussels, absl::CivilSecond(2022, 3, 26, 9, 0, 0),
                absl::CivilSecond(2022, 3, 28, 17, 0, 0));
  ASSERT_EQ(days.size(), 3u);
  // Saturday 09:00 CET and Monday 09:00 CEST: same wall clock, UTC an hour
  // apart.
  EXPECT_EQ(days[0].start, Utc(2022, 3, 26, 8, 0));
  EXPECT_EQ(
      ToInstant(brussels, absl::CivilSecond(2022, 3, 28, 9, 0, 0)).value(),
      Utc(2022, 3, 28, 7, 0));
  // Sunday has 23 hours.
  EXPECT_EQ(days[1].date, absl::CivilDay(2022, 3, 27));
  EXPECT_EQ(days[1].start, Utc(2022, 3, 26, 23, 0));
  EXPECT_EQ(days[1].end, Utc(2022, 3, 27, 22, 0));
  EXPECT_EQ(days[1].end - days[1].start, absl::Hours(23));
  EXPECT_EQ(days[2].end, Utc(2022, 3, 28, 15, 0));
}

TEST(SplitIntoLocalDays, GivesTheAutumnChangeDay25Hours) {
  const std::vector<EventDay> days = MustSplit(
      MustResolve("Europe/Brussels"), absl::CivilSecond(2022, 10, 29, 9, 0, 0),
      absl::CivilSecond(2022, 10, 31, 17, 0, 0));
  ASSERT_EQ(days.size(), 3u);
  EXPECT_EQ(days[1].date, absl::CivilDay(2022, 10, 30));
  EXPECT_EQ(days[1].start, Utc(2022, 10, 29, 22, 0));
  EXPECT_EQ(days[1].end, Utc(2022, 10, 30, 23, 0));
  EXPECT_EQ(days[1].end - days[1].start, absl::Hours(25));
}

TEST(SplitIntoLocalDays, DoesNotAddAnEmptyDayForAnEventEndingAtMidnight) {
  const std::vector<EventDay> days = MustSplit(
      MustResolve("Europe/Athens"), absl::CivilSecond(2022, 3, 15, 9, 0, 0),
      absl::CivilSecond(2022, 3, 17, 0, 0, 0));
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[1].date, absl::CivilDay(2022, 3, 16));
  EXPECT_EQ(days[1].local_end, absl::CivilSecond(2022, 3, 17, 0, 0, 0));
  EXPECT_EQ(days[1].end, Utc(2022, 3, 16, 22, 0));
}

TEST(SplitIntoLocalDays, KeepsAOneSecondTailAfterMidnight) {
  const std::vector<EventDay> days = MustSplit(
      MustResolve("Europe/Athens"), absl::CivilSecond(2022, 3, 15, 9, 0, 0),
      absl::CivilSecond(2022, 3, 16, 0, 0, 1));
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[1].end - days[1].start, absl::Seconds(1));
}

TEST(SplitIntoLocalDays, SkipsALocalDateThatNeverExisted) {
  // Samoa skipped 2011-12-30: 2011-12-29 24:00 (-10:00) was followed by
  // 2011-12-31 00:00 (+14:00), both 2011-12-30T10:00Z. No wall-clock time
  // of the 30th existed, so it is no day of the event.
  const std::vector<EventDay> days = MustSplit(
      MustResolve("Pacific/Apia"), absl::CivilSecond(2011, 12, 29, 20, 0, 0),
      absl::CivilSecond(2011, 12, 31, 3, 0, 0));
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].date, absl::CivilDay(2011, 12, 29));
  EXPECT_EQ(days[0].end, Utc(2011, 12, 30, 10, 0));
  EXPECT_EQ(days[1].date, absl::CivilDay(2011, 12, 31));
  EXPECT_EQ(days[1].start, Utc(2011, 12, 30, 10, 0));
  EXPECT_EQ(days[1].end, Utc(2011, 12, 30, 13, 0));
}

TEST(SplitIntoLocalDays, ReturnsOneDayForASingleDayEvent) {
  const std::vector<EventDay> days = MustSplit(
      MustResolve("Europe/Rome"), absl::CivilSecond(2021, 10, 11, 9, 30, 0),
      absl::CivilSecond(2021, 10, 11, 17, 30, 0));
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].start, Utc(2021, 10, 11, 7, 30));
  EXPECT_EQ(days[0].end, Utc(2021, 10, 11, 15, 30));
}

TEST(SplitIntoLocalDays, RequiresTheEndAfterTheStartNamingEnd) {
  const Zone athens = MustResolve("Europe/Athens");
  for (absl::CivilSecond end : {absl::CivilSecond(2022, 3, 15, 9, 0, 0),
                                absl::CivilSecond(2022, 3, 14, 9, 0, 0)}) {
    absl::StatusOr<std::vector<EventDay>> days = SplitIntoLocalDays(
        athens, absl::CivilSecond(2022, 3, 15, 9, 0, 0), end);
    EXPECT_EQ(days.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(days.status().message().substr(0, 5), "end: ");
  }
  EXPECT_EQ(SplitIntoLocalDays(athens, absl::CivilSecond(2022, 3, 15, 9, 0, 0),
                               absl::CivilSecond(2022, 3, 15, 9, 0, 0))
                .status()
                .message(),
            "end: 2022-03-15T09:00 is not after start 2022-03-15T09:00");
}

TEST(SplitIntoLocalDays, RejectsABoundInAGapNamingIt) {
  absl::StatusOr<std::vector<EventDay>> days = SplitIntoLocalDays(
      MustResolve("Europe/Brussels"), absl::CivilSecond(2022, 3, 27, 2, 30, 0),
      absl::CivilSecond(2022, 3, 27, 17, 0, 0));
  EXPECT_EQ(days.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(days.status().message(),
            "start: local time 2022-03-27T02:30 does not exist in "
            "Europe/Brussels: it falls in the gap when clocks go from +01:00 "
            "to +02:00 at 2022-03-27T02:00 (2022-03-27T01:00Z)");
}

TEST(SplitIntoLocalDays, ResolvesBoundsWithTheGivenPolicy) {
  const std::vector<EventDay> days = MustSplit(
      MustResolve("Europe/Brussels"), absl::CivilSecond(2022, 3, 27, 2, 30, 0),
      absl::CivilSecond(2022, 3, 27, 17, 0, 0), LocalTimePolicy::kRfc5545);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].start, Utc(2022, 3, 27, 1, 30));
}

TEST(SplitIntoLocalDays, RejectsAnEndThatResolvesBeforeTheStart) {
  // 02:30 in the gap moves to 03:30 CEST (01:30Z), after 03:10 CEST.
  absl::StatusOr<std::vector<EventDay>> days = SplitIntoLocalDays(
      MustResolve("Europe/Brussels"), absl::CivilSecond(2022, 3, 27, 2, 30, 0),
      absl::CivilSecond(2022, 3, 27, 3, 10, 0), LocalTimePolicy::kRfc5545);
  EXPECT_EQ(days.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(days.status().message(),
            "end: 2022-03-27T03:10 (2022-03-27T01:10Z) is not after start "
            "2022-03-27T02:30 (2022-03-27T01:30Z) in Europe/Brussels");
}

TEST(SplitIntoLocalDays, StartsADayNoEarlierThanAStartThePolicyPushedIntoIt) {
  // 2011-12-30T10:00 never existed in Samoa; kLater reads it with -10:00,
  // 2011-12-30T20:00Z, which the clocks showed as 2011-12-31T10:00. The
  // event's only day is the 31st and it begins then, not at 00:00 ten hours
  // earlier (the check-in window and the agenda would open before the event).
  const std::vector<EventDay> days = MustSplit(
      MustResolve("Pacific/Apia"), absl::CivilSecond(2011, 12, 30, 10, 0, 0),
      absl::CivilSecond(2011, 12, 31, 18, 0, 0), LocalTimePolicy::kLater);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].date, absl::CivilDay(2011, 12, 31));
  EXPECT_EQ(days[0].start, Utc(2011, 12, 30, 20, 0));
  EXPECT_EQ(days[0].local_start, absl::CivilSecond(2011, 12, 31, 10, 0, 0));
  EXPECT_EQ(days[0].end, Utc(2011, 12, 31, 4, 0));
}

TEST(SplitIntoLocalDays, KeepsEveryDayInsideTheResolvedBoundsAcrossAMidnightGap) {
  // Clocks go from 23:30 straight to 00:30 (2022-03-15T23:30Z).
  absl::StatusOr<Zone> zone = MakeTransitionTableZone(
      "Test/Straddle", {absl::ZeroDuration(), false, "A"},
      {{Utc(2022, 3, 15, 23, 30), {absl::Hours(1), true, "B"}}});
  ASSERT_TRUE(zone.ok()) << zone.status();
  // 23:45 read before the jump is 23:45Z, shown as 00:45 on the 16th.
  std::vector<EventDay> days =
      MustSplit(*zone, absl::CivilSecond(2022, 3, 15, 23, 45, 0),
                absl::CivilSecond(2022, 3, 16, 10, 0, 0), LocalTimePolicy::kLater);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].date, absl::CivilDay(2022, 3, 16));
  EXPECT_EQ(days[0].start, Utc(2022, 3, 15, 23, 45));
  EXPECT_EQ(days[0].local_start, absl::CivilSecond(2022, 3, 16, 0, 45, 0));
  // An end at 00:15 on the 16th read after the jump is 23:15Z, shown as
  // 23:15 on the 15th: the 15th ends with the event, not at the jump.
  days = MustSplit(*zone, absl::CivilSecond(2022, 3, 15, 20, 0, 0),
                   absl::CivilSecond(2022, 3, 16, 0, 15, 0), LocalTimePolicy::kEarlier);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0].date, absl::CivilDay(2022, 3, 15));
  EXPECT_EQ(days[0].end, Utc(2022, 3, 15, 23, 15));
  EXPECT_EQ(days[0].local_end, absl::CivilSecond(2022, 3, 15, 23, 15, 0));
}

TEST(SplitIntoLocalDays, LimitsTheNumberOfDays) {
  const Zone athens = MustResolve("Europe/Athens");
  absl::StatusOr<std::vector<EventDay>> year =
      SplitIntoLocalDays(athens, absl::CivilSecond(2024, 1, 1, 0, 0, 0),
                         absl::CivilSecond(2025, 1, 1, 0, 0, 0));
  ASSERT_TRUE(year.ok()) << year.status();
  EXPECT_EQ(year->size(), 366u);

  absl::StatusOr<std::vector<EventDay>> too_long =
      SplitIntoLocalDays(athens, absl::CivilSecond(2024, 1, 1, 0, 0, 0),
                         absl::CivilSecond(2025, 1, 1, 0, 0, 1));
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(too_long.status().message(),
            "end: the event covers 367 local days; at most 366 are allowed");
}

TEST(StartOfLocalDay, IsMidnightOnOrdinaryDays) {
  EXPECT_EQ(StartOfLocalDay(MustResolve("Europe/Brussels"),
                            absl::CivilDay(2022, 3, 27)),
            Utc(2022, 3, 26, 23, 0));
}

TEST(StartOfLocalDay, IsTheJumpWhenMidnightIsSkipped) {
  // Cuba moved its clocks from 00:00 to 01:00 on 13 March 2022.
  EXPECT_EQ(StartOfLocalDay(MustResolve("America/Havana"),
                            absl::CivilDay(2022, 3, 13)),
            Utc(2022, 3, 13, 5, 0));
}

TEST(StartOfLocalDay, IsTheJumpWhenTheGapStraddlesMidnight) {
  // A made-up zone whose clocks go from 23:30 straight to 00:30.
  absl::StatusOr<Zone> zone = MakeTransitionTableZone(
      "Test/Straddle", {absl::ZeroDuration(), false, "A"},
      {{Utc(2022, 3, 15, 23, 30), {absl::Hours(1), true, "B"}}});
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(StartOfLocalDay(*zone, absl::CivilDay(2022, 3, 16)),
            Utc(2022, 3, 15, 23, 30));
  const std::vector<EventDay> days =
      MustSplit(*zone, absl::CivilSecond(2022, 3, 15, 20, 0, 0),
                absl::CivilSecond(2022, 3, 16, 10, 0, 0));
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].end, Utc(2022, 3, 15, 23, 30));
  EXPECT_EQ(days[1].start, Utc(2022, 3, 15, 23, 30));
  EXPECT_EQ(days[1].end, Utc(2022, 3, 16, 9, 0));
}

TEST(StartOfLocalDay, IsTheFirstOfTwoMidnights) {
  // A made-up zone whose clocks go back from 01:00 to 00:00.
  absl::StatusOr<Zone> zone = MakeTransitionTableZone(
      "Test/TwoMidnights", {absl::Hours(1), true, "S"},
      {{Utc(2022, 3, 16, 0, 0), {absl::ZeroDuration(), false, "W"}}});
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(StartOfLocalDay(*zone, absl::CivilDay(2022, 3, 16)),
            Utc(2022, 3, 15, 23, 0));
}

}  // namespace
}  // namespace convene::core
