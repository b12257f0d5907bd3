#include "core/event_rules.h"

#include "absl/strings/str_cat.h"
#include "core/event_sheet.h"
#include "core/zone.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing_util/connection_calendar.h"

namespace convene::core {
namespace {

using ::testing::HasSubstr;
using testing_util::ConnectionCalendar;

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

absl::Status Prepare(Event& e) {
  absl::StatusOr<Zone> zone = ResolveZone(e.time_zone, "event.time_zone");
  if (!zone.ok()) return zone.status();
  return PrepareEvent(e, *zone);
}

TEST(PrepareEvent, AcceptsTheWholeConnectionCalendar) {
  for (Event& e : ConnectionCalendar()) {
    EXPECT_TRUE(Prepare(e).ok()) << e.title << ": " << Prepare(e);
    EXPECT_FALSE(e.tzdata_version.empty());
  }
}

TEST(PrepareEvent, DerivesInstantsFromLocalTimeAndZone) {
  Event e = ConnectionCalendar()[testing_util::kThessalonikiWorkshop];
  ASSERT_TRUE(Prepare(e).ok());
  // Athens is UTC+2 in mid-March 2022.
  EXPECT_EQ(e.start, Utc(2022, 3, 15, 7, 0));
  EXPECT_EQ(e.end, Utc(2022, 3, 17, 15, 30));
  EXPECT_EQ(e.sessions[1].start, Utc(2022, 3, 15, 12, 30));
}

TEST(PrepareEvent, AssignsSessionIdsInStartOrderAndKeepsGivenOnes) {
  Event e = ConnectionCalendar()[testing_util::kInterimMeeting];
  std::swap(e.sessions[0], e.sessions[5]);
  e.sessions[2].id = "s1";  // taken by the caller: the next free id is used
  ASSERT_TRUE(Prepare(e).ok());
  EXPECT_EQ(e.sessions[0].title, "Progress and schedule");
  EXPECT_EQ(e.sessions[5].title, "Communication and awareness");
  std::vector<std::string> ids;
  for (const Session& s : e.sessions) ids.push_back(s.id);
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("s1", "s2", "s3", "s4", "s5", "s6"));
}

TEST(PrepareEvent, KeepsLocalHoursAcrossTheSpringChange) {
  Event e;
  e.title = "Staff exchange Brussels-Antwerp";
  e.kind = EventKind::kStaffExchange;
  e.format = EventFormat::kInPerson;
  e.venue.name = "Antwerp city hall";
  e.time_zone = "Europe/Brussels";
  e.start_local = absl::CivilSecond(2022, 3, 25, 9, 0, 0);
  e.end_local = absl::CivilSecond(2022, 3, 29, 17, 0, 0);
  e.sessions = {testing_util::MakeSession("Day 1", absl::CivilSecond(2022, 3, 25, 9, 0, 0),
                                          absl::CivilSecond(2022, 3, 25, 17, 0, 0)),
                testing_util::MakeSession("Day 4", absl::CivilSecond(2022, 3, 28, 9, 0, 0),
                                          absl::CivilSecond(2022, 3, 28, 17, 0, 0))};
  ASSERT_TRUE(Prepare(e).ok());
  // 09:00 local both times; UTC moves from 08:00 (CET) to 07:00 (CEST).
  EXPECT_EQ(e.sessions[0].start, Utc(2022, 3, 25, 8, 0));
  EXPECT_EQ(e.sessions[1].start, Utc(2022, 3, 28, 7, 0));
}

struct BadEventCase {
  const char* name;
  void (*spoil)(Event&);
  const char* field;
  const char* reason;
};

class PrepareEventRejects : public ::testing::TestWithParam<BadEventCase> {};

TEST_P(PrepareEventRejects, NamingTheFieldAndReason) {
  Event e = ConnectionCalendar()[testing_util::kInterimMeeting];
  GetParam().spoil(e);
  absl::Status s = Prepare(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().field));
  EXPECT_THAT(std::string(s.message()), HasSubstr(GetParam().reason));
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, PrepareEventRejects,
    ::testing::Values(
        BadEventCase{"UnknownZone", [](Event& e) { e.time_zone = "Europe/Bruxelles"; },
                     "event.time_zone", "Europe/Bruxelles"},
        BadEventCase{"EndBeforeStart",
                     [](Event& e) { e.end_local = e.start_local - 3600; },
                     "event.end_local", "not after"},
        BadEventCase{"SessionOutsideEvent",
                     [](Event& e) {
                       e.sessions[0].start_local = absl::CivilSecond(2021, 9, 12, 9, 0, 0);
                     },
                     "event.sessions[0].start_local", "outside its event"},
        BadEventCase{"SessionInGap",
                     [](Event& e) {
                       e.start_local = absl::CivilSecond(2022, 3, 26, 9, 0, 0);
                       e.end_local = absl::CivilSecond(2022, 3, 27, 17, 0, 0);
                       e.sessions = {testing_util::MakeSession(
                           "Night train", absl::CivilSecond(2022, 3, 27, 2, 30, 0),
                           absl::CivilSecond(2022, 3, 27, 4, 0, 0))};
                     },
                     "event.sessions[0].start_local", "does not exist"},
        BadEventCase{"AmbiguousStart",
                     [](Event& e) {
                       e.start_local = absl::CivilSecond(2022, 10, 30, 2, 30, 0);
                       e.end_local = absl::CivilSecond(2022, 10, 30, 17, 0, 0);
                       e.sessions.clear();
                     },
                     "event.start_local", "+02:00"},
        BadEventCase{"OrganiserContactWithTwoAddresses",
                     [](Event& e) {
                       e.organiser_contact = {"CoP office", "office@example.org,bcc"};
                     },
                     "event.organiser_contact.email", "special character"},
        BadEventCase{"OrganiserContactWithoutDomain",
                     [](Event& e) { e.organiser_contact = {"CoP office", "office"}; },
                     "event.organiser_contact.email", "local-part@domain"},
        BadEventCase{"TooLongTitle", [](Event& e) { e.title = std::string(201, 'x'); },
                     "event.title", "at most 200"},
        BadEventCase{"MissingTitle", [](Event& e) { e.title.clear(); },
                     "event.title", "required"},
        BadEventCase{"TooManySessions",
                     [](Event& e) { e.sessions.resize(201, e.sessions[0]); },
                     "event.sessions", "at most 200"},
        BadEventCase{"DuplicateSessionId",
                     [](Event& e) { e.sessions[0].id = e.sessions[1].id = "intro"; },
                     "event.sessions[1].id", "used by another session"},
        BadEventCase{"OnlineSessionInPersonEvent",
                     [](Event& e) {
                       e.format = EventFormat::kInPerson;
                       e.online = {};
                       e.sessions[0].format = EventFormat::kOnline;
                     },
                     "event.sessions[0].format", "does not"},
        BadEventCase{"NegativeCapacity", [](Event& e) { e.venue.in_person_capacity = -1; },
                     "event.venue.in_person_capacity", "negative"},
        BadEventCase{"NotAUrl", [](Event& e) { e.online.join_url = "zoom:123"; },
                     "event.online.join_url", "http"},
        // Found by tests/fuzz/event_rules_fuzzer: the iCalendar export
        // carried the raw byte and its reader refused the output.
        BadEventCase{"NonAsciiUrl",
                     [](Event& e) { e.online.join_url = "https://meet.example.org/\xff"; },
                     "event.online.join_url", "ASCII"},
        BadEventCase{"NegativeCheckInMargin",
                     [](Event& e) { e.check_in_margin = -absl::Minutes(1); },
                     "event.check_in_margin", "outside 0 to 7 days"},
        BadEventCase{"CheckInMarginAboveAWeek",
                     [](Event& e) { e.check_in_margin = absl::Hours(7 * 24) + absl::Seconds(1); },
                     "event.check_in_margin", "outside 0 to 7 days"},
        BadEventCase{"NoFormat", [](Event& e) { e.format = EventFormat::kUnspecified; },
                     "event.format", "required"},
        BadEventCase{"HybridWithoutVenue", [](Event& e) { e.venue = {}; },
                     "event.venue", "venue"}),
    [](const ::testing::TestParamInfo<BadEventCase>& info) { return info.param.name; });

TEST(PrepareEvent, KeepsARemovedSessionWithoutItsDescriptionRoomOrLink) {
  Event e = ConnectionCalendar()[testing_util::kThessalonikiWorkshop];
  ASSERT_TRUE(Prepare(e).ok());
  Session removed = e.sessions[0];
  removed.id = "gone";
  removed.description = std::string(5000, 'd');
  removed.room = "Room 2";
  removed.join_url = "https://meet.example.org/private";
  e.removed_sessions.push_back(removed);
  ASSERT_TRUE(Prepare(e).ok());
  ASSERT_EQ(e.removed_sessions.size(), 1u);
  const Session& kept = e.removed_sessions[0];
  EXPECT_EQ(kept.id, "gone");
  EXPECT_EQ(kept.title, removed.title);
  EXPECT_EQ(kept.start_local, removed.start_local);
  EXPECT_EQ(kept.end_local, removed.end_local);
  EXPECT_EQ(kept.format, removed.format);
  EXPECT_EQ(kept.description, "");
  EXPECT_EQ(kept.room, "");
  EXPECT_EQ(kept.join_url, "");
}

TEST(PrepareEvent, BoundsTheTextOfAnEventWithItsRemovedSessions) {
  Event e = ConnectionCalendar()[testing_util::kThessalonikiWorkshop];
  ASSERT_TRUE(Prepare(e).ok());
  // Removed sessions are kept for the life of the event, without a count
  // limit: their titles and their weight as sessions count toward the
  // event's (their descriptions are not kept).
  Session removed = e.sessions[0];
  removed.title = std::string(EventLimits::kMaxTitle, 't');
  removed.description = std::string(5000, 'd');
  const int per_removed = EventLimits::kMaxTitle + EventLimits::kBytesPerSession + 8;
  for (int i = 0; static_cast<int>(e.removed_sessions.size()) * per_removed <
                  EventLimits::kMaxEventBytes - 30000;
       ++i) {
    removed.id = absl::StrCat("gone", i);
    e.removed_sessions.push_back(removed);
  }
  Event fits = e;
  EXPECT_TRUE(Prepare(fits).ok()) << Prepare(fits);
  for (int i = 0; i < 50; ++i) {
    removed.id = absl::StrCat("more", i);
    e.removed_sessions.push_back(removed);
  }
  absl::Status s = Prepare(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("event.sessions: the event would weigh "));
  EXPECT_THAT(std::string(s.message()), HasSubstr("removed sessions included"));
}

TEST(PrepareEvent, RefusesAnEventWhoseInstantsFallOutsideTheYearsInUtc) {
  // 9999-12-31T23:00 in New York is 10000-01-01T04:00 in UTC, and
  // 0001-01-01T00:30 in Athens (+01:34:52 then) is year 0 in UTC: no
  // export, Timestamp or feed entry could write them.
  Event late = ConnectionCalendar()[testing_util::kInterimMeeting];
  late.time_zone = "America/New_York";
  late.sessions.clear();
  late.start_local = absl::CivilSecond(9999, 12, 31, 9, 0, 0);
  late.end_local = absl::CivilSecond(9999, 12, 31, 23, 0, 0);
  absl::Status s = PrepareEvent(late, *ResolveZone(late.time_zone));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("event.end_local: 9999-12-31T23:00 in America/New_York is 10000-01-01T04:00Z"));
  Event early = ConnectionCalendar()[testing_util::kInterimMeeting];
  early.time_zone = "Europe/Athens";
  early.sessions.clear();
  early.start_local = absl::CivilSecond(1, 1, 1, 0, 30, 0);
  early.end_local = absl::CivilSecond(1, 1, 1, 9, 0, 0);
  s = PrepareEvent(early, *ResolveZone(early.time_zone));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("event.start_local: 0001-01-01T00:30 in Europe/Athens is 0-12-31T22:55Z"));
  // The last hour New York can hold in the years allowed is fine.
  late.end_local = absl::CivilSecond(9999, 12, 31, 18, 0, 0);
  EXPECT_TRUE(PrepareEvent(late, *ResolveZone(late.time_zone)).ok());
}

TEST(PrepareEvent, RfcPolicyReadsAGapTimeWithTheOffsetBeforeIt) {
  Event e = ConnectionCalendar()[testing_util::kInterimMeeting];
  e.start_local = absl::CivilSecond(2022, 3, 27, 2, 30, 0);
  e.end_local = absl::CivilSecond(2022, 3, 27, 17, 0, 0);
  e.sessions.clear();
  e.local_time_policy = LocalTimePolicy::kRfc5545;
  ASSERT_TRUE(Prepare(e).ok());
  EXPECT_EQ(e.start, Utc(2022, 3, 27, 1, 30));  // 03:30 CEST
}

// The limit on an event's length is the one its days are split with: an
// event PrepareEvent accepts always has an agenda, a sheet and reminders.
// 367 dates (2031-01-01 09:00 to 2032-01-02 12:00) were accepted and then
// refused by every GetAgenda and Register.
TEST(PrepareEvent, AcceptsExactlyTheEventsItsDaysCanBeSplitInto) {
  Event e = ConnectionCalendar()[testing_util::kInterimMeeting];
  e.sessions.clear();
  e.start_local = absl::CivilSecond(2031, 1, 1, 9, 0, 0);
  e.end_local = absl::CivilSecond(2032, 1, 2, 12, 0, 0);
  absl::Status s = Prepare(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "event.end_local: an event spans at most 366 local days; "
                         "2031-01-01T09:00 to 2032-01-02T12:00 covers 367");
  for (absl::CivilSecond end : {absl::CivilSecond(2032, 1, 1, 12, 0, 0),
                                absl::CivilSecond(2032, 1, 2, 0, 0, 0)}) {
    e.end_local = end;
    ASSERT_TRUE(Prepare(e).ok()) << Prepare(e);
    absl::StatusOr<Zone> zone = ResolveZone(e.time_zone);
    ASSERT_TRUE(zone.ok());
    absl::StatusOr<EventSheet> sheet = MakeEventSheet(e, *zone);
    ASSERT_TRUE(sheet.ok()) << sheet.status();
    EXPECT_EQ(sheet->days.size(), 366u);
  }
}

// Local times in a gap resolved by a policy are not in order: 02:30 read
// before the spring jump (03:30 CEST) comes after 03:10. A session inside its
// event on the wall clock must be inside it in time too, or the agenda shows
// it starting before its day and the check-in window opens after it began.
TEST(PrepareEvent, RefusesASessionThePolicyPutsOutsideItsEvent) {
  Event e = ConnectionCalendar()[testing_util::kInterimMeeting];
  e.time_zone = "Europe/Brussels";
  e.start_local = absl::CivilSecond(2022, 3, 27, 2, 30, 0);
  e.end_local = absl::CivilSecond(2022, 3, 27, 17, 0, 0);
  e.sessions.resize(1);
  e.sessions[0].id.clear();
  e.sessions[0].start_local = absl::CivilSecond(2022, 3, 27, 3, 10, 0);
  e.sessions[0].end_local = absl::CivilSecond(2022, 3, 27, 4, 0, 0);
  e.local_time_policy = LocalTimePolicy::kRfc5545;
  absl::Status s = Prepare(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "event.sessions[0].start_local: 2022-03-27T03:10 (2022-03-27T01:10Z) is "
            "before its event's start 2022-03-27T02:30 (2022-03-27T01:30Z) in "
            "Europe/Brussels");

  // An end read after the jump: 02:30 EARLIER is 01:30 CET, before 01:45.
  e.start_local = absl::CivilSecond(2022, 3, 27, 0, 0, 0);
  e.end_local = absl::CivilSecond(2022, 3, 27, 2, 30, 0);
  e.sessions[0].start_local = absl::CivilSecond(2022, 3, 27, 1, 0, 0);
  e.sessions[0].end_local = absl::CivilSecond(2022, 3, 27, 1, 45, 0);
  e.local_time_policy = LocalTimePolicy::kEarlier;
  s = Prepare(e);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "event.sessions[0].end_local: 2022-03-27T01:45 (2022-03-27T00:45Z) is "
            "after its event's end 2022-03-27T02:30 (2022-03-27T00:30Z) in "
            "Europe/Brussels");

  e.sessions[0].end_local = absl::CivilSecond(2022, 3, 27, 1, 30, 0);
  EXPECT_TRUE(Prepare(e).ok()) << Prepare(e);
}

// The attendance sheet carries each day's check-in window: the day's span at
// the venue widened by the margin, with its bounds on the venue's clock. A
// day with a DST change is 23 or 25 hours long.
TEST(MakeEventSheet, GivesEachDayItsCheckInWindow) {
  Event e = ConnectionCalendar()[testing_util::kInterimMeeting];
  e.time_zone = "Europe/Brussels";
  e.start_local = absl::CivilSecond(2022, 3, 26, 14, 0, 0);
  e.end_local = absl::CivilSecond(2022, 3, 27, 12, 0, 0);
  e.sessions.clear();
  e.check_in_margin = absl::Hours(2);
  absl::StatusOr<Zone> zone = ResolveZone(e.time_zone, "event.time_zone");
  ASSERT_TRUE(zone.ok());
  ASSERT_TRUE(PrepareEvent(e, *zone).ok());
  absl::StatusOr<EventSheet> sheet = MakeEventSheet(e, *zone);
  ASSERT_TRUE(sheet.ok()) << sheet.status();
  ASSERT_EQ(sheet->check_in_windows.size(), 2u);
  const CheckInWindow& first = sheet->check_in_windows[0];
  EXPECT_EQ(first.date, absl::CivilDay(2022, 3, 26));
  EXPECT_EQ(first.from, Utc(2022, 3, 26, 11, 0));   // 14:00 CET - 2 h
  EXPECT_EQ(first.until, Utc(2022, 3, 27, 1, 0));   // 00:00 CET (23:00Z) + 2 h
  EXPECT_EQ(first.from_local, "2022-03-26T12:00 CET (+01:00)");
  const CheckInWindow& second = sheet->check_in_windows[1];
  EXPECT_EQ(second.date, absl::CivilDay(2022, 3, 27));
  EXPECT_EQ(second.from, Utc(2022, 3, 26, 21, 0));  // 00:00 CET - 2 h
  EXPECT_EQ(second.until, Utc(2022, 3, 27, 12, 0)); // 12:00 CEST + 2 h
  EXPECT_EQ(second.until_local, "2022-03-27T14:00 CEST (+02:00)");
}

}  // namespace
}  // namespace convene::core
