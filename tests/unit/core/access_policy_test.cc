#include "core/access_policy.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;

TEST(AccessPolicy, OnlySomeRolesSeePersonalDataAndHealthIsPublic) {
  EXPECT_FALSE(SeesPersonalData(Role::kIntegration));
  EXPECT_FALSE(SeesPersonalData(Role::kCheckIn));
  EXPECT_TRUE(SeesPersonalData(Role::kOrganizer));
  EXPECT_TRUE(SeesPersonalData(Role::kReminderJob));
  EXPECT_TRUE(IsPublicMethod("/grpc.health.v1.Health/Check"));
  EXPECT_TRUE(IsPublicMethod("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"));
  EXPECT_FALSE(IsPublicMethod("/convene.v1.CalendarService/GetEvent"));
}

TEST(AccessPolicy, CheckInStaffSeeWhatTheDoorNeedsAndNoContactDetails) {
  const ParticipantInfo ana{"zagreb-ana", "Ana Kovač", "ana.kovac@example.org", "City of Zagreb",
                            "Zagreb", "HR", "Europe/Zagreb", "hr"};
  ParticipantInfo desk = ana;
  LimitToView(desk, ParticipantViewOf(Role::kCheckIn));
  EXPECT_EQ(desk.display_name, "Ana Kovač");
  EXPECT_EQ(desk.organisation, "City of Zagreb");
  EXPECT_EQ(desk.city, "Zagreb");
  EXPECT_EQ(desk.email, "");
  EXPECT_EQ(desk.language, "");
  EXPECT_EQ(desk.time_zone, "");
  ParticipantInfo feed = ana;
  LimitToView(feed, ParticipantViewOf(Role::kIntegration));
  EXPECT_EQ(feed.participant_id, "zagreb-ana");
  EXPECT_EQ(feed.display_name, "");
  EXPECT_EQ(feed.organisation, "");
  ParticipantInfo organiser = ana;
  LimitToView(organiser, ParticipantViewOf(Role::kOrganizer));
  EXPECT_EQ(organiser.email, "ana.kovac@example.org");
}

TEST(AccessPolicy, ScopedTokensActOnTheirEventsOnly) {
  Caller desk{"tok_1", Role::kCheckIn, {"ev_1", "ev_2"}};
  EXPECT_TRUE(AuthorizeEvent(desk, "ev_2").ok());
  absl::Status s = AuthorizeEvent(desk, "ev_3");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(s.message(), "event_id: ev_3 is outside this token's scope");
  Caller everywhere{"tok_5", Role::kOrganizer, {}};
  EXPECT_TRUE(AuthorizeEvent(everywhere, "ev_3").ok());
}

TEST(AccessPolicy, ScopedEventListsAreBoundedAndUnique) {
  EXPECT_TRUE(CheckScopedEventIds("token.event_ids", {}).ok());
  EXPECT_TRUE(CheckScopedEventIds("token.event_ids", {"ev_1", "ev_2"}).ok());
  EXPECT_EQ(CheckScopedEventIds("token.event_ids", {"ev_1", "ev_2", "ev_1"}).message(),
            "token.event_ids[2]: ev_1 is listed twice");
  EXPECT_EQ(CheckScopedEventIds("event_ids", {"ev_1", ""}).code(),
            absl::StatusCode::kInvalidArgument);
  std::vector<std::string> many(kMaxScopedEvents + 1);
  for (size_t i = 0; i < many.size(); ++i) many[i] = absl::StrCat("ev_", i);
  EXPECT_EQ(CheckScopedEventIds("webhook.event_ids", many).message(),
            "webhook.event_ids: at most 1000 events, not 1001");
  many.pop_back();
  EXPECT_TRUE(CheckScopedEventIds("webhook.event_ids", many).ok());
}

TEST(AccessPolicy, RolesParseByName) {
  EXPECT_EQ(*ParseRole("reminder-job"), Role::kReminderJob);
  EXPECT_EQ(ParseRole("root").status().message(),
            "role: \"root\" is not a role (admin, organizer, checkin, integration, reminder-job)");
}

}  // namespace
}  // namespace convene::core
