#include "core/transition_table_zone.h"

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/local_date_time.h"
#include "core/local_time_resolution.h"
#include "core/zone.h"
#include "core/zoned_rendering.h"
#include "core_test_util.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using testing::MustResolve;
using testing::Utc;

const ZoneOffset kCet{absl::Hours(1), false, "CET"};
const ZoneOffset kCest{absl::Hours(2), true, "CEST"};

// Europe/Brussels from October 2021 to October 2022, written out by hand.
Zone Brussels2022() {
  absl::StatusOr<Zone> zone =
      MakeTransitionTableZone("Europe/Brussels", kCest,
                              {{Utc(2021, 10, 31, 1, 0), kCet},
                               {Utc(2022, 3, 27, 1, 0), kCest},
                               {Utc(2022, 10, 30, 1, 0), kCet}});
  EXPECT_TRUE(zone.ok()) << zone.status();
  return *zone;
}

TEST(MakeTransitionTableZone, AgreesWithTheSystemRulesAroundBothChanges) {
  const Zone table = Brussels2022();
  const Zone system = MustResolve("Europe/Brussels");
  EXPECT_EQ(table.name(), "Europe/Brussels");
  for (absl::CivilDay day :
       {absl::CivilDay(2022, 3, 27), absl::CivilDay(2022, 10, 30)}) {
    for (absl::CivilSecond local(day); local < absl::CivilSecond(day + 1);
         local += 15 * 60) {
      const LocalTimeInfo want = Classify(system, local);
      const LocalTimeInfo got = Classify(table, local);
      EXPECT_EQ(got.kind, want.kind) << local;
      EXPECT_EQ(got.offset_before, want.offset_before) << local;
      EXPECT_EQ(got.offset_after, want.offset_after) << local;
      EXPECT_EQ(got.transition, want.transition) << local;
      for (LocalTimePolicy policy :
           {LocalTimePolicy::kRfc5545, LocalTimePolicy::kEarlier,
            LocalTimePolicy::kLater}) {
        EXPECT_EQ(ToInstant(table, local, policy).value(),
                  ToInstant(system, local, policy).value())
            << local;
      }
      const absl::Time instant =
          ToInstant(system, local, LocalTimePolicy::kLater).value();
      const ZonedTime want_zoned = ToZoned(system, instant);
      const ZonedTime got_zoned = ToZoned(table, instant);
      EXPECT_EQ(got_zoned.local, want_zoned.local) << instant;
      EXPECT_EQ(got_zoned.abbreviation, want_zoned.abbreviation) << instant;
      EXPECT_EQ(got_zoned.is_dst, want_zoned.is_dst) << instant;
    }
  }
}

TEST(MakeTransitionTableZone, LetsATzRuleChangeMoveFutureInstants) {
  // Suppose the EU stops changing clocks after October 2026 and Belgium
  // stays on CET: the tz database would then have no 2027 transitions. An
  // event stored as local time + zone must move in UTC; earlier ones must
  // not.
  absl::StatusOr<Zone> changed = MakeTransitionTableZone(
      "Europe/Brussels", kCet,
      {{Utc(2026, 3, 29, 1, 0), kCest}, {Utc(2026, 10, 25, 1, 0), kCet}});
  ASSERT_TRUE(changed.ok()) << changed.status();
  const Zone current = MustResolve("Europe/Brussels");

  const absl::CivilSecond summer_2027(2027, 7, 1, 9, 0, 0);
  EXPECT_EQ(ToInstant(current, summer_2027).value(), Utc(2027, 7, 1, 7, 0));
  EXPECT_EQ(ToInstant(*changed, summer_2027).value(), Utc(2027, 7, 1, 8, 0));

  const absl::CivilSecond summer_2026(2026, 7, 1, 9, 0, 0);
  EXPECT_EQ(ToInstant(*changed, summer_2026).value(),
            ToInstant(current, summer_2026).value());
}

TEST(MakeTransitionTableZone, WithoutTransitionsIsAFixedOffsetZone) {
  absl::StatusOr<Zone> zone = MakeTransitionTableZone(
      "Test/Plus0530", {absl::Hours(5) + absl::Minutes(30), false, "+0530"},
      {});
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(ToInstant(*zone, absl::CivilSecond(2022, 3, 15, 9, 0, 0)).value(),
            Utc(2022, 3, 15, 3, 30));
  EXPECT_EQ(Classify(*zone, absl::CivilSecond(2022, 3, 15, 9, 0, 0)).kind,
            LocalTimeKind::kUnique);
}

TEST(MakeTransitionTableZone, RejectsInvalidTables) {
  EXPECT_EQ(MakeTransitionTableZone("", kCet, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MakeTransitionTableZone("Test/Unsorted", kCet,
                                    {{Utc(2022, 10, 30, 1, 0), kCet},
                                     {Utc(2022, 3, 27, 1, 0), kCest}})
                .status()
                .message(),
            "transition 1: instant is not after transition 0");
  EXPECT_EQ(MakeTransitionTableZone("Test/Infinite", kCet,
                                    {{absl::InfiniteFuture(), kCest}})
                .status()
                .message(),
            "transition 0: instant is infinite");
  EXPECT_EQ(
      MakeTransitionTableZone("Test/Far", {absl::Hours(19), false, "FAR"}, {})
          .status()
          .message(),
      "initial offset: UTC offset 19h is outside +/-18h");
}

}  // namespace
}  // namespace convene::core
