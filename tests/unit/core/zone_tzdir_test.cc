// ResolveZone() and TzdataVersion() with CONVENE_TZDIR set. A binary of its
// own: the variable is read once per process, before the first zone is
// resolved, so it is set by a global environment before any test runs.
#include <stdlib.h>

#include <memory>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "core/local_time_resolution.h"
#include "core/tzdata_version.h"
#include "core/zone.h"
#include "core/zoneinfo_directory.h"
#include "core_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing_util/zoneinfo_root.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;
using testing::Utc;

// Compiles Brussels-on-CET-from-2027 and points CONVENE_TZDIR at it.
class TzdirEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<testing_util::ZoneinfoRoot> root =
        testing_util::ZoneinfoRoot::Compile(
            testing_util::BrusselsOnCetFrom2027Source());
    if (!root.ok()) {
      skip_reason = std::string(root.status().message());
      return;
    }
    root_.emplace(*std::move(root));
    setenv(kZoneinfoDirectoryVariable, root_->path().c_str(), 1);
  }
  void TearDown() override { root_.reset(); }

  inline static std::string skip_reason;

 private:
  std::optional<testing_util::ZoneinfoRoot> root_;
};

const auto* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new TzdirEnvironment);

class ResolveZoneWithTzdir : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TzdirEnvironment::skip_reason.empty()) {
      GTEST_SKIP() << TzdirEnvironment::skip_reason;
    }
  }
};

TEST_F(ResolveZoneWithTzdir, TakesZonesInTheRootFromIt) {
  const Zone brussels = testing::MustResolve("Europe/Brussels");
  EXPECT_EQ(brussels.name(), "Europe/Brussels");
  EXPECT_EQ(*ToInstant(brussels, absl::CivilSecond(2027, 7, 5, 9, 0, 0)),
            Utc(2027, 7, 5, 8, 0));
  // Cached like any zone.
  EXPECT_EQ(&testing::MustResolve("Europe/Brussels").rules(), &brussels.rules());
}

TEST_F(ResolveZoneWithTzdir, TakesOtherZonesFromTheSystemDatabase) {
  const Zone athens = testing::MustResolve("Europe/Athens");
  EXPECT_EQ(*ToInstant(athens, absl::CivilSecond(2027, 7, 5, 9, 0, 0)),
            Utc(2027, 7, 5, 6, 0));
}

TEST_F(ResolveZoneWithTzdir, StillRejectsUnknownNamesWithAHint) {
  absl::StatusOr<Zone> unknown = ResolveZone("Europe/Bruxelles", "event.time_zone");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "event.time_zone: unknown time zone \"Europe/Bruxelles\"");
  EXPECT_THAT(ResolveZone("europe/brussels").status().message(),
              HasSubstr("did you mean \"Europe/Brussels\"?"));
  EXPECT_EQ(ResolveZone("tzdata.zi").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(ResolveZoneWithTzdir, ReportsTheRootsVersion) {
  EXPECT_EQ(TzdataVersion(), "2027a");
}

}  // namespace
}  // namespace convene::core
