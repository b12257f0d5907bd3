#include "core/sign_in_sheet.h"

#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "core/zone.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

EventSheet ThessalonikiSheet() {
  EventSheet sheet;
  sheet.event_id = "ev_1";
  sheet.time_zone = "Europe/Athens";
  sheet.days = {absl::CivilDay(2022, 3, 15), absl::CivilDay(2022, 3, 16)};
  return sheet;
}

Registration Anna() {
  Registration r;
  r.event_id = "ev_1";
  r.participant.participant_id = "anna";
  r.participant.display_name = "Άννα Παπαδοπούλου";
  r.participant.city = "Thessaloniki";
  r.days = {{absl::CivilDay(2022, 3, 15), AttendanceMode::kInPerson,
             RegistrationStatus::kConfirmed, 0},
            {absl::CivilDay(2022, 3, 16), AttendanceMode::kOnline,
             RegistrationStatus::kConfirmed, 0}};
  return r;
}

TEST(SignInSheet, GivesTheCheckInDateAndZoneBesideTheTime) {
  absl::StatusOr<Zone> athens = ResolveZone("Europe/Athens");
  ASSERT_TRUE(athens.ok());
  FirstCheckIns times;
  // 07:12 UTC is 09:12 in Athens (EET, +02:00) on the first day; on the
  // second day the online join came at 22:30 UTC, already the 17th there.
  times[{"anna", absl::CivilDay(2022, 3, 15)}] =
      absl::FromCivil(absl::CivilSecond(2022, 3, 15, 7, 12, 0), absl::UTCTimeZone());
  times[{"anna", absl::CivilDay(2022, 3, 16)}] =
      absl::FromCivil(absl::CivilSecond(2022, 3, 16, 22, 30, 0), absl::UTCTimeZone());
  const std::string csv = BuildSignInSheet(ThessalonikiSheet(), *athens, {Anna()}, times);
  std::vector<std::string> lines = absl::StrSplit(csv, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "participant_id,name,organisation,city,country,walk_in,"
            "2022-03-15 mode,2022-03-15 status,2022-03-15 check-in,"
            "2022-03-15 check-in date,2022-03-15 check-in zone,"
            "2022-03-16 mode,2022-03-16 status,2022-03-16 check-in,"
            "2022-03-16 check-in date,2022-03-16 check-in zone");
  EXPECT_EQ(lines[1],
            "anna,Άννα Παπαδοπούλου,,Thessaloniki,,no,"
            "in person,confirmed,09:12,2022-03-15,Europe/Athens +02:00,"
            "online,confirmed,00:30,2022-03-17,Europe/Athens +02:00");
}

TEST(SignInSheet, LeavesTheCheckInCellsEmptyForAbsentDays) {
  absl::StatusOr<Zone> athens = ResolveZone("Europe/Athens");
  ASSERT_TRUE(athens.ok());
  const std::string csv = BuildSignInSheet(ThessalonikiSheet(), *athens, {Anna()}, {});
  std::vector<std::string> lines = absl::StrSplit(csv, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1],
            "anna,Άννα Παπαδοπούλου,,Thessaloniki,,no,in person,confirmed,,,,"
            "online,confirmed,,,");
}

}  // namespace
}  // namespace convene::core
