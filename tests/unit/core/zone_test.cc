#include "core/zone.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;

TEST(ResolveZone, ResolvesAnIanaName) {
  absl::StatusOr<Zone> zone = ResolveZone("Europe/Brussels");
  ASSERT_TRUE(zone.ok()) << zone.status();
  EXPECT_EQ(zone->name(), "Europe/Brussels");
}

TEST(ResolveZone, ResolvingTheSameNameAgainSharesTheRules) {
  const Zone a = testing::MustResolve("Europe/Athens");
  const Zone b = testing::MustResolve("Europe/Athens");
  const Zone copy = a;
  EXPECT_EQ(&a.rules(), &b.rules());
  EXPECT_EQ(&a.rules(), &copy.rules());
}

TEST(ResolveZone, RejectsAnUnknownZoneNamingIt) {
  absl::StatusOr<Zone> zone = ResolveZone("Europe/Bruxelles");
  EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(zone.status().message(), "unknown time zone \"Europe/Bruxelles\"");
}

TEST(ResolveZone, PrefixesTheFieldName) {
  absl::StatusOr<Zone> zone = ResolveZone("Mars/Olympus_Mons", "event.zone");
  EXPECT_EQ(zone.status().message(),
            "event.zone: unknown time zone \"Mars/Olympus_Mons\"");
}

TEST(ResolveZone, SuggestsTheRightCase) {
  absl::StatusOr<Zone> zone = ResolveZone("europe/brussels");
  EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(zone.status().message(),
            "unknown time zone \"europe/brussels\" (did you mean "
            "\"Europe/Brussels\"?)");
}

TEST(ResolveZone, RejectsAnEmptyName) {
  absl::StatusOr<Zone> zone = ResolveZone("", "event.zone");
  EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(zone.status().message(),
            "event.zone: time zone is empty: expected an IANA name such as "
            "\"Europe/Brussels\"");
}

TEST(ResolveZone, RejectsTheHostDependentLocaltimeEntry) {
  EXPECT_EQ(ResolveZone("localtime").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ResolveZone, RejectsPathsAndNonIanaVariants) {
  for (const char* name :
       {"../zoneinfo/Europe/Brussels", "/usr/share/zoneinfo/Europe/Brussels",
        "right/Europe/Brussels", "posix/Europe/Brussels", "tzdata.zi",
        "Europe/Brussels ", "+02:00", "CEST"}) {
    EXPECT_EQ(ResolveZone(name).status().code(),
              absl::StatusCode::kInvalidArgument)
        << name;
  }
}

TEST(ResolveZone, AcceptsLegacyAndRenamedNames) {
  EXPECT_TRUE(ResolveZone("UTC").ok());
  EXPECT_TRUE(ResolveZone("Europe/Kyiv").ok());
  EXPECT_TRUE(ResolveZone("Europe/Kiev").ok());
}

TEST(ResolveZone, QuotesHostileInputShortAndOnOneLine) {
  const std::string name = "Europe/\n" + std::string(500, 'x');
  absl::StatusOr<Zone> zone = ResolveZone(name);
  EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(zone.status().message(), HasSubstr("\"Europe/\\nxxx"));
  EXPECT_THAT(zone.status().message(), HasSubstr("...\""));
  EXPECT_LT(zone.status().message().size(), 120u);
}

TEST(ResolveZone, IsSafeFromManyThreads) {
  const std::vector<std::string> names = {"Europe/Rome", "Europe/Sofia",
                                          "Europe/Warsaw", "Asia/Tokyo"};
  std::vector<std::thread> threads;
  std::vector<const ZoneRules*> seen(8 * names.size());
  for (size_t t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = 0; i < names.size(); ++i) {
        absl::StatusOr<Zone> zone = ResolveZone(names[i]);
        seen[t * names.size() + i] = zone.ok() ? &zone->rules() : nullptr;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t t = 0; t < 8; ++t) {
    for (size_t i = 0; i < names.size(); ++i) {
      EXPECT_NE(seen[t * names.size() + i], nullptr);
      EXPECT_EQ(seen[t * names.size() + i], seen[i]) << names[i];
    }
  }
}

}  // namespace
}  // namespace convene::core
