#include "core/access_policy.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;

TEST(AccessPolicy, CheckInDesksCheckInAndCountButDoNotRegister) {
  Caller desk{"tok_1", Role::kCheckIn, {"ev_1"}};
  EXPECT_TRUE(AuthorizeMethod(desk, "/convene.v1.AttendanceService/CheckIn").ok());
  EXPECT_TRUE(AuthorizeMethod(desk, "/convene.v1.AttendanceService/GetAttendanceCounts").ok());
  absl::Status s = AuthorizeMethod(desk, "/convene.v1.AttendanceService/Register");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("role checkin may not call AttendanceService/Register"));
}

TEST(AccessPolicy, IntegrationsNeverReachPersonalData) {
  Caller integration{"tok_2", Role::kIntegration, {}};
  for (const char* m : {"GetRegistration", "ListRegistrations", "ExportAttendanceReport",
                        "ForgetParticipant", "Register"}) {
    EXPECT_FALSE(AuthorizeMethod(integration, absl::StrCat("/convene.v1.AttendanceService/", m)).ok())
        << m;
  }
  EXPECT_FALSE(
      AuthorizeMethod(integration, "/convene.v1.NotificationService/ListNotifications").ok());
  EXPECT_TRUE(AuthorizeMethod(integration, "/convene.v1.CalendarService/ExportICalendar").ok());
  EXPECT_FALSE(SeesPersonalData(Role::kIntegration));
  EXPECT_TRUE(SeesPersonalData(Role::kOrganizer));
}

TEST(AccessPolicy, AdminMayCallEverythingAndOnlyAdminManagesTokens) {
  Caller admin{"tok_3", Role::kAdmin, {}};
  for (const std::string& m : KnownMethods()) EXPECT_TRUE(AuthorizeMethod(admin, m).ok()) << m;
  Caller organizer{"tok_4", Role::kOrganizer, {}};
  EXPECT_FALSE(AuthorizeMethod(organizer, "/convene.v1.AdminService/CreateToken").ok());
}

TEST(AccessPolicy, UnknownMethodsAreDeniedAndHealthIsPublic) {
  Caller admin{"tok_3", Role::kAdmin, {}};
  EXPECT_FALSE(AuthorizeMethod(admin, "/convene.v1.CalendarService/DropEverything").ok());
  Caller nobody{"", Role::kIntegration, {"ev_1"}};
  EXPECT_TRUE(AuthorizeMethod(nobody, "/grpc.health.v1.Health/Check").ok());
  EXPECT_TRUE(IsPublicMethod("/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"));
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

TEST(AccessPolicy, RolesParseByName) {
  EXPECT_EQ(*ParseRole("reminder-job"), Role::kReminderJob);
  EXPECT_EQ(ParseRole("root").status().message(),
            "role: \"root\" is not a role (admin, organizer, checkin, integration, reminder-job)");
}

}  // namespace
}  // namespace convene::core
