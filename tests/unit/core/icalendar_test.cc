#include "core/icalendar.h"

#include <algorithm>
#include <cstddef>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "core/event_rules.h"
#include "core/zone.h"
#include "core_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using testing::MustResolve;
using testing::Utc;

// Greek and Bulgarian text (2-byte characters in UTF-8) long enough to be
// folded several times, with the characters TEXT must escape.
constexpr absl::string_view kGreekBulgarian =
    "Εργαστήριο της Κοινότητας Πρακτικής 1 στη Θεσσαλονίκη: στρατηγική "
    "προσέγγιση για την ένταξη, τη συμμετοχή και την αλληλεπίδραση; "
    "επισκέψεις σε δομές υποδοχής.\n"
    "Пътища към заетост за мигранти: обмен на опит между градовете, "
    "партньори в София и Торино.";

// The CONNECTION events the tests export. Dates, places and formats are the
// project documents'; session hours (09:30-17:30 local) are demo choices,
// not in the documents.
Event ThessalonikiWorkshop() {
  Event e;
  e.id = "cop1-ws3";
  e.title = "CoP1 3rd workshop";
  e.description = std::string(kGreekBulgarian);
  e.kind = EventKind::kWorkshop;
  e.community = "CoP1";
  e.city = "Thessaloniki";
  e.country_code = "EL";
  e.format = EventFormat::kHybrid;
  e.time_zone = "Europe/Athens";
  e.start_local = absl::CivilSecond(2022, 3, 15, 9, 30, 0);
  e.end_local = absl::CivilSecond(2022, 3, 17, 17, 30, 0);
  e.venue = {"Thessaloniki City Hall", "Vasileos Georgiou A 1, 546 40",
             "Thessaloniki", 25};
  e.online = {"Zoom", "https://meet.example.org/connection/cop1-3", 50};
  Session day1;
  day1.id = "day1";
  day1.title = "Municipality of Thessaloniki";
  day1.start_local = absl::CivilSecond(2022, 3, 15, 9, 30, 0);
  day1.end_local = absl::CivilSecond(2022, 3, 15, 17, 30, 0);
  Session day2 = day1;
  day2.id = "day2";
  day2.title = "Municipality of Delta";
  day2.start_local = absl::CivilSecond(2022, 3, 16, 9, 30, 0);
  day2.end_local = absl::CivilSecond(2022, 3, 16, 17, 30, 0);
  Session tour = day1;
  tour.id = "tour";
  tour.title = "Guided tour of reception facilities";
  tour.format = EventFormat::kInPerson;  // in person only
  tour.room = "Bus from the City Hall";
  tour.start_local = absl::CivilSecond(2022, 3, 17, 9, 30, 0);
  tour.end_local = absl::CivilSecond(2022, 3, 17, 17, 30, 0);
  e.sessions = {day1, day2, tour};
  e.revision = 3;
  e.create_time = Utc(2022, 1, 10, 8, 0);
  e.update_time = Utc(2022, 3, 1, 16, 45);
  return e;
}

Event FirstPartnerMeeting() {
  Event e;
  e.id = "first-partner-meeting";
  e.title = "CONNECTION first partner meeting";
  e.description = "Held online during the health emergency.";
  e.kind = EventKind::kMeeting;
  e.city = "Brussels";
  e.format = EventFormat::kOnline;
  e.time_zone = "Europe/Brussels";  // the organiser's
  e.start_local = absl::CivilSecond(2020, 3, 31, 9, 30, 0);
  e.end_local = absl::CivilSecond(2020, 3, 31, 12, 30, 0);
  e.online = {"Zoom", "https://meet.example.org/connection/kickoff", 0};
  e.revision = 1;
  return e;
}

// Not in the documents: a cancelled staff exchange, for STATUS:CANCELLED.
Event CancelledStaffExchange() {
  Event e;
  e.id = "sofia-exchange";
  e.title = "CoP3 staff exchange";
  e.kind = EventKind::kStaffExchange;
  e.community = "CoP3";
  e.city = "Sofia";
  e.format = EventFormat::kInPerson;
  e.time_zone = "Europe/Sofia";
  e.start_local = absl::CivilSecond(2021, 5, 18, 9, 30, 0);
  e.end_local = absl::CivilSecond(2021, 5, 19, 17, 30, 0);
  e.venue = {"Sofia Development Association", "", "Sofia", 10};
  e.status = EventStatus::kCancelled;
  e.cancel_reason = "Travel restrictions; moved online, date to follow";
  e.revision = 2;
  return e;
}

// Not in the documents: an event across the night Brussels moves to CEST.
Event AntwerpExchangeOverTheClockChange() {
  Event e;
  e.id = "antwerp-exchange";
  e.title = "CoP4 staff exchange";
  e.kind = EventKind::kStaffExchange;
  e.community = "CoP4";
  e.city = "Antwerp";
  e.format = EventFormat::kInPerson;
  e.time_zone = "Europe/Brussels";
  e.start_local = absl::CivilSecond(2022, 3, 25, 9, 30, 0);
  e.end_local = absl::CivilSecond(2022, 3, 28, 17, 30, 0);
  e.venue = {"One-stop-shop", "Baron Dhanislaan 1", "Antwerpen", 8};
  e.revision = 1;
  return e;
}

std::vector<Event> Scenario() {
  std::vector<Event> events = {ThessalonikiWorkshop(), FirstPartnerMeeting(),
                               CancelledStaffExchange(),
                               AntwerpExchangeOverTheClockChange()};
  for (Event& e : events) {
    const absl::Status s = PrepareEvent(e, MustResolve(e.time_zone));
    EXPECT_TRUE(s.ok()) << e.id << ": " << s;
  }
  return events;
}

ICalendarOptions Options() {
  ICalendarOptions opts;
  opts.now = Utc(2022, 3, 2, 12, 0);
  opts.calendar_name = "CONNECTION";
  return opts;
}

std::string MustExport(const std::vector<Event>& events) {
  absl::StatusOr<std::string> ics = ExportICalendar(events, Options());
  EXPECT_TRUE(ics.ok()) << ics.status();
  return ics.ok() ? *ics : std::string();
}

// The physical lines, without their CRLF.
std::vector<std::string> PhysicalLines(absl::string_view ics) {
  std::vector<std::string> lines = absl::StrSplit(ics, "\r\n");
  EXPECT_EQ(lines.back(), "") << "the text must end in CRLF";
  lines.pop_back();
  return lines;
}

ICalendarComponent MustParse(absl::string_view ics) {
  absl::StatusOr<std::vector<ICalendarComponent>> parsed = ParseICalendar(ics);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok() || parsed->size() != 1) return {};
  return parsed->front();
}

const ICalendarComponent* FindByProperty(const ICalendarComponent& parent,
                                         absl::string_view component,
                                         absl::string_view property,
                                         absl::string_view value) {
  for (const ICalendarComponent* c : parent.Components(component)) {
    const ICalendarProperty* p = c->Property(property);
    if (p != nullptr && p->value == value) return c;
  }
  return nullptr;
}

std::string Value(const ICalendarComponent& c, absl::string_view property) {
  const ICalendarProperty* p = c.Property(property);
  return p == nullptr ? "<none>" : p->value;
}

// A StatusOr that is OK and holds `expected`.
MATCHER_P(IsOkAndHolds, expected, "") {
  if (!arg.ok()) {
    *result_listener << "status " << arg.status();
    return false;
  }
  *result_listener << "holds " << ::testing::PrintToString(*arg);
  return *arg == expected;
}

// Whether `s` is well-formed UTF-8 on its own.
bool IsUtf8(absl::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const size_t len = b < 0x80    ? 1
                       : b >= 0xF0 ? 4
                       : b >= 0xE0 ? 3
                       : b >= 0xC2 ? 2
                                   : 0;
    if (len == 0 || i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += len;
  }
  return true;
}

TEST(ExportICalendar, WritesTheCalendarHeader) {
  const std::vector<std::string> lines = PhysicalLines(MustExport(Scenario()));
  ASSERT_GE(lines.size(), 6u);
  EXPECT_EQ(lines[0], "BEGIN:VCALENDAR");
  EXPECT_EQ(lines[1], "VERSION:2.0");
  EXPECT_EQ(lines[2], "PRODID:-//Convene//Convene 0.1//EN");
  EXPECT_EQ(lines[3], "CALSCALE:GREGORIAN");
  EXPECT_EQ(lines[4], "METHOD:PUBLISH");
  EXPECT_EQ(lines[5], "X-WR-CALNAME:CONNECTION");
  EXPECT_EQ(lines.back(), "END:VCALENDAR");
}

TEST(ExportICalendar, StatesLocalTimesWithTheEventsZone) {
  const std::vector<std::string> lines = PhysicalLines(MustExport(Scenario()));
  EXPECT_THAT(lines, Contains("DTSTART;TZID=Europe/Athens:20220315T093000"));
  EXPECT_THAT(lines, Contains("DTEND;TZID=Europe/Athens:20220315T173000"));
  EXPECT_THAT(lines, Contains("DTSTART;TZID=Europe/Athens:20220317T093000"));
  EXPECT_THAT(lines, Contains("DTSTART;TZID=Europe/Brussels:20200331T093000"));
  // The Antwerp exchange keeps its local hours across the clock change.
  EXPECT_THAT(lines, Contains("DTSTART;TZID=Europe/Brussels:20220325T093000"));
  EXPECT_THAT(lines, Contains("DTEND;TZID=Europe/Brussels:20220328T173000"));
  EXPECT_THAT(lines, Contains("TZID:Europe/Athens"));
  EXPECT_THAT(lines, Contains("TZID:Europe/Brussels"));
  EXPECT_THAT(lines, Contains("TZID:Europe/Sofia"));
  EXPECT_THAT(lines, Contains("DTSTAMP:20220302T120000Z"));
}

// A night shift starting 02:30 in Brussels on the nights the clocks change
// (2022-03-27: 02:00 -> 03:00; 2022-10-30: 03:00 -> 02:00), resolved by
// `policy`, with one session from 02:30 to 04:00.
Event NightShift(absl::CivilDay night, LocalTimePolicy policy) {
  Event e;
  e.id = "night";
  e.title = "Night shift";
  e.format = EventFormat::kInPerson;
  e.venue = {"Port of Antwerp", "Zaha Hadidplein 1", "Antwerpen", 8};
  e.time_zone = "Europe/Brussels";
  e.start_local = absl::CivilSecond(night.year(), night.month(), night.day(), 2, 30, 0);
  e.end_local = absl::CivilSecond(night.year(), night.month(), night.day(), 5, 0, 0);
  e.local_time_policy = policy;
  Session s;
  s.id = "s1";
  s.title = "First half";
  s.start_local = e.start_local;
  s.end_local = absl::CivilSecond(night.year(), night.month(), night.day(), 4, 0, 0);
  e.sessions = {s};
  e.revision = 1;
  const absl::Status prepared = PrepareEvent(e, MustResolve(e.time_zone));
  EXPECT_TRUE(prepared.ok()) << prepared;
  return e;
}

TEST(ExportICalendar, NamesTheInstantsEveryPolicyResolvedAGapOrOverlapTo) {
  const absl::CivilDay spring(2022, 3, 27), autumn(2022, 10, 30);
  const struct {
    absl::CivilDay night;
    LocalTimePolicy policy;
    absl::Time start;
    const char* dtstart;  // as written
  } cases[] = {
      // In the gap: the time the clocks showed at the instant.
      {spring, LocalTimePolicy::kRfc5545, Utc(2022, 3, 27, 1, 30),
       "DTSTART;TZID=Europe/Brussels:20220327T033000"},
      {spring, LocalTimePolicy::kEarlier, Utc(2022, 3, 27, 0, 30),
       "DTSTART;TZID=Europe/Brussels:20220327T013000"},
      {spring, LocalTimePolicy::kLater, Utc(2022, 3, 27, 1, 30),
       "DTSTART;TZID=Europe/Brussels:20220327T033000"},
      // In the overlap: the first occurrence is what a TZID value names;
      // the second only UTC can.
      {autumn, LocalTimePolicy::kRfc5545, Utc(2022, 10, 30, 0, 30),
       "DTSTART;TZID=Europe/Brussels:20221030T023000"},
      {autumn, LocalTimePolicy::kEarlier, Utc(2022, 10, 30, 0, 30),
       "DTSTART;TZID=Europe/Brussels:20221030T023000"},
      {autumn, LocalTimePolicy::kLater, Utc(2022, 10, 30, 1, 30), "DTSTART:20221030T013000Z"},
  };
  for (const auto& c : cases) {
    const Event e = NightShift(c.night, c.policy);
    ASSERT_EQ(e.start, c.start) << c.dtstart;
    const std::string ics = MustExport({e});
    EXPECT_THAT(PhysicalLines(ics), Contains(c.dtstart));
    // The session's VEVENT (the only one), read back as RFC 5545 says.
    const ICalendarComponent cal = MustParse(ics);
    const std::vector<const ICalendarComponent*> vevents = cal.Components("VEVENT");
    ASSERT_EQ(vevents.size(), 1u);
    const Session& s = e.sessions[0];
    for (const auto& [name, instant] : {std::pair("DTSTART", s.start), std::pair("DTEND", s.end)}) {
      const ICalendarProperty* p = vevents[0]->Property(name);
      ASSERT_NE(p, nullptr);
      const std::string* tzid = p->Param("TZID");
      EXPECT_THAT(ResolveICalendarDateTime(p->value, tzid == nullptr ? "" : *tzid),
                  IsOkAndHolds(instant))
          << c.dtstart << ": " << name << " " << p->value;
    }
  }
}

TEST(ExportICalendar, NamesTheOrganiserContactAsOrganizer) {
  std::vector<Event> events = Scenario();
  events[0].organiser_contact = {"Thessaloniki, CoP1 office", "cop1@thessaloniki.example"};
  const ICalendarComponent cal = MustParse(MustExport(events));
  const ICalendarComponent* day1 = FindByProperty(cal, "VEVENT", "UID", "day1.cop1-ws3@convene");
  ASSERT_NE(day1, nullptr);
  EXPECT_EQ(Value(*day1, "ORGANIZER"), "mailto:cop1@thessaloniki.example");
  // No contact, no ORGANIZER (never an invented address).
  const ICalendarComponent* other =
      FindByProperty(cal, "VEVENT", "UID", "first-partner-meeting@convene");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(Value(*other, "ORGANIZER"), "<none>");
}

TEST(ExportICalendar, WritesOneVeventPerSessionWithStableUids) {
  const ICalendarComponent cal = MustParse(MustExport(Scenario()));
  std::vector<std::string> uids;
  for (const ICalendarComponent* e : cal.Components("VEVENT")) {
    uids.push_back(Value(*e, "UID"));
  }
  EXPECT_THAT(uids,
              ::testing::ElementsAre(
                  "day1.cop1-ws3@convene", "day2.cop1-ws3@convene",
                  "tour.cop1-ws3@convene", "first-partner-meeting@convene",
                  "sofia-exchange@convene", "antwerp-exchange@convene"));
  const ICalendarComponent* tour =
      FindByProperty(cal, "VEVENT", "UID", "tour.cop1-ws3@convene");
  ASSERT_NE(tour, nullptr);
  EXPECT_EQ(Value(*tour, "SUMMARY"),
            "CoP1 3rd workshop: Guided tour of reception facilities");
  EXPECT_EQ(Value(*tour, "CATEGORIES"), "CoP1");
  EXPECT_EQ(Value(*tour, "CREATED"), "20220110T080000Z");
  EXPECT_EQ(Value(*tour, "LAST-MODIFIED"), "20220301T164500Z");
}

TEST(ExportICalendar, DescribesAthensWithThe2022Transitions) {
  const ICalendarComponent cal = MustParse(MustExport(Scenario()));
  const ICalendarComponent* athens =
      FindByProperty(cal, "VTIMEZONE", "TZID", "Europe/Athens");
  ASSERT_NE(athens, nullptr);
  // Clocks go from 03:00 EET to 04:00 EEST on 2022-03-27: the onset is
  // written in the old offset.
  const ICalendarComponent* spring =
      FindByProperty(*athens, "DAYLIGHT", "DTSTART", "20220327T030000");
  ASSERT_NE(spring, nullptr);
  EXPECT_EQ(Value(*spring, "TZOFFSETFROM"), "+0200");
  EXPECT_EQ(Value(*spring, "TZOFFSETTO"), "+0300");
  EXPECT_EQ(Value(*spring, "TZNAME"), "EEST");
  const ICalendarComponent* autumn =
      FindByProperty(*athens, "STANDARD", "DTSTART", "20221030T040000");
  ASSERT_NE(autumn, nullptr);
  EXPECT_EQ(Value(*autumn, "TZOFFSETFROM"), "+0300");
  EXPECT_EQ(Value(*autumn, "TZOFFSETTO"), "+0200");
  // The observance in force on 2022-01-01 starts in October 2021, so every
  // DTSTART of the year is covered.
  EXPECT_NE(FindByProperty(*athens, "STANDARD", "DTSTART", "20211031T040000"),
            nullptr);
  EXPECT_EQ(athens->components.size(), 3u);
  EXPECT_TRUE(athens->properties.size() == 1);  // TZID only
}

TEST(ExportICalendar, DescribesBrusselsForEachYearItsEventsTouch) {
  const ICalendarComponent cal = MustParse(MustExport(Scenario()));
  const ICalendarComponent* brussels =
      FindByProperty(cal, "VTIMEZONE", "TZID", "Europe/Brussels");
  ASSERT_NE(brussels, nullptr);
  const ICalendarComponent* spring2022 =
      FindByProperty(*brussels, "DAYLIGHT", "DTSTART", "20220327T020000");
  ASSERT_NE(spring2022, nullptr);
  EXPECT_EQ(Value(*spring2022, "TZOFFSETFROM"), "+0100");
  EXPECT_EQ(Value(*spring2022, "TZOFFSETTO"), "+0200");
  EXPECT_EQ(Value(*spring2022, "TZNAME"), "CEST");
  // 2020 (the first partner meeting) too, but not 2021.
  EXPECT_NE(FindByProperty(*brussels, "DAYLIGHT", "DTSTART", "20200329T020000"),
            nullptr);
  EXPECT_EQ(FindByProperty(*brussels, "DAYLIGHT", "DTSTART", "20210328T020000"),
            nullptr);
}

TEST(ExportICalendar, ResolvesTheAntwerpExchangeToMovingUtcHours) {
  const ICalendarComponent cal = MustParse(MustExport(Scenario()));
  const ICalendarComponent* antwerp =
      FindByProperty(cal, "VEVENT", "UID", "antwerp-exchange@convene");
  ASSERT_NE(antwerp, nullptr);
  const ICalendarProperty* start = antwerp->Property("DTSTART");
  const ICalendarProperty* end = antwerp->Property("DTEND");
  ASSERT_TRUE(start != nullptr && end != nullptr);
  ASSERT_NE(start->Param("TZID"), nullptr);
  EXPECT_THAT(ResolveICalendarDateTime(start->value, *start->Param("tzid")),
              IsOkAndHolds(Utc(2022, 3, 25, 8, 30)));  // 09:30 CET
  EXPECT_THAT(ResolveICalendarDateTime(end->value, *end->Param("TZID")),
              IsOkAndHolds(Utc(2022, 3, 28, 15, 30)));  // 17:30 CEST
}

TEST(ExportICalendar, GivesAZoneWithoutTransitionsOneStandardObservance) {
  Event tokyo = FirstPartnerMeeting();
  tokyo.id = "tokyo";
  tokyo.time_zone = "Asia/Tokyo";
  const ICalendarComponent cal = MustParse(MustExport({tokyo}));
  const ICalendarComponent* zone =
      FindByProperty(cal, "VTIMEZONE", "TZID", "Asia/Tokyo");
  ASSERT_NE(zone, nullptr);
  ASSERT_EQ(zone->components.size(), 1u);
  const ICalendarComponent& standard = zone->components[0];
  EXPECT_EQ(standard.name, "STANDARD");
  EXPECT_EQ(Value(standard, "TZOFFSETFROM"), "+0900");
  EXPECT_EQ(Value(standard, "TZOFFSETTO"), "+0900");
  EXPECT_EQ(Value(standard, "TZNAME"), "JST");
  // Before the event: it starts on 2020-03-31.
  EXPECT_LT(Value(standard, "DTSTART"), "20200331T093000");

  // Years apart, still one: the offset in force has not changed between
  // them, and a merge of one export per event gives one too.
  Event later = tokyo;
  later.id = "tokyo-later";
  later.start_local = absl::CivilSecond(2027, 3, 31, 9, 30, 0);
  later.end_local = absl::CivilSecond(2027, 3, 31, 17, 0, 0);
  ASSERT_TRUE(PrepareEvent(later, MustResolve(later.time_zone)).ok());
  const ICalendarComponent both = MustParse(MustExport({tokyo, later}));
  zone = FindByProperty(both, "VTIMEZONE", "TZID", "Asia/Tokyo");
  ASSERT_NE(zone, nullptr);
  EXPECT_EQ(zone->components.size(), 1u);
}

TEST(ExportICalendar, MarksCancellationsAndRevisions) {
  const ICalendarComponent cal = MustParse(MustExport(Scenario()));
  const ICalendarComponent* sofia =
      FindByProperty(cal, "VEVENT", "UID", "sofia-exchange@convene");
  ASSERT_NE(sofia, nullptr);
  EXPECT_EQ(Value(*sofia, "STATUS"), "CANCELLED");
  EXPECT_EQ(Value(*sofia, "SEQUENCE"), "1");
  EXPECT_EQ(Value(*sofia, "DESCRIPTION"),
            "Cancelled: Travel restrictions\\; moved online\\, date to follow");
  const ICalendarComponent* day1 =
      FindByProperty(cal, "VEVENT", "UID", "day1.cop1-ws3@convene");
  ASSERT_NE(day1, nullptr);
  EXPECT_EQ(Value(*day1, "STATUS"), "CONFIRMED");
  EXPECT_EQ(Value(*day1, "SEQUENCE"), "2");
  const ICalendarComponent* first =
      FindByProperty(cal, "VEVENT", "UID", "first-partner-meeting@convene");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(Value(*first, "SEQUENCE"), "0");
}

TEST(ExportICalendar, TellsCalendarsToDropARemovedSessionInFewLines) {
  // An event keeps every session it removed; a copy of its description,
  // place and link in each such entry made a reworked programme's export
  // larger than one answer holds.
  Event e = ThessalonikiWorkshop();
  e.description = std::string(4000, 'x');
  e.removed_sessions = {e.sessions.back()};
  e.sessions.pop_back();
  ASSERT_TRUE(PrepareEvent(e, MustResolve(e.time_zone)).ok());
  const ICalendarComponent cal = MustParse(MustExport({e}));
  const ICalendarComponent* tour = FindByProperty(cal, "VEVENT", "UID", "tour.cop1-ws3@convene");
  ASSERT_NE(tour, nullptr);
  EXPECT_EQ(Value(*tour, "STATUS"), "CANCELLED");
  EXPECT_EQ(Value(*tour, "SEQUENCE"), "2");
  EXPECT_EQ(Value(*tour, "SUMMARY"), "CoP1 3rd workshop: Guided tour of reception facilities");
  EXPECT_EQ(Value(*tour, "DESCRIPTION"), "Removed from the programme.");
  EXPECT_EQ(Value(*tour, "LOCATION"), "<none>");
  EXPECT_EQ(Value(*tour, "CONFERENCE"), "<none>");
  const ICalendarComponent* day1 = FindByProperty(cal, "VEVENT", "UID", "day1.cop1-ws3@convene");
  ASSERT_NE(day1, nullptr);
  EXPECT_THAT(Value(*day1, "DESCRIPTION"), HasSubstr(std::string(4000, 'x')));
  EXPECT_NE(Value(*day1, "LOCATION"), "<none>");
}

TEST(ExportICalendar, OffersConferenceOnlyOnlineAndLocationOnlyInPerson) {
  const ICalendarComponent cal = MustParse(MustExport(Scenario()));
  const auto has = [&](absl::string_view uid, absl::string_view property) {
    const ICalendarComponent* e = FindByProperty(cal, "VEVENT", "UID", uid);
    EXPECT_NE(e, nullptr) << uid;
    return e != nullptr && e->Property(property) != nullptr;
  };
  // Hybrid sessions: both.
  EXPECT_TRUE(has("day1.cop1-ws3@convene", "CONFERENCE"));
  EXPECT_TRUE(has("day1.cop1-ws3@convene", "LOCATION"));
  // The in-person-only tour inside the hybrid event: no way to join online.
  EXPECT_FALSE(has("tour.cop1-ws3@convene", "CONFERENCE"));
  EXPECT_TRUE(has("tour.cop1-ws3@convene", "LOCATION"));
  // Online only: no place to go.
  EXPECT_TRUE(has("first-partner-meeting@convene", "CONFERENCE"));
  EXPECT_FALSE(has("first-partner-meeting@convene", "LOCATION"));
  EXPECT_FALSE(has("antwerp-exchange@convene", "CONFERENCE"));

  const ICalendarComponent* first =
      FindByProperty(cal, "VEVENT", "UID", "first-partner-meeting@convene");
  ASSERT_NE(first, nullptr);
  const ICalendarProperty* conference = first->Property("CONFERENCE");
  ASSERT_NE(conference, nullptr);
  EXPECT_EQ(conference->value, "https://meet.example.org/connection/kickoff");
  EXPECT_EQ(*conference->Param("VALUE"), "URI");
  EXPECT_EQ(*conference->Param("FEATURE"), "VIDEO");
  EXPECT_EQ(*conference->Param("LABEL"), "Zoom");
  const ICalendarComponent* tour =
      FindByProperty(cal, "VEVENT", "UID", "tour.cop1-ws3@convene");
  ASSERT_NE(tour, nullptr);
  EXPECT_EQ(Value(*tour, "LOCATION"),
            "Thessaloniki City Hall\\, Bus from the City Hall\\, Vasileos "
            "Georgiou A 1\\, 546 40\\, Thessaloniki");
}

TEST(ExportICalendar, ShowsNoneOfTheTextsOrLinkARemovedSessionHad) {
  // The hybrid workshop's second day removed by an update: its tombstone
  // keeps its UID and times, and says only that it is gone.
  Event e = ThessalonikiWorkshop();
  ASSERT_TRUE(PrepareEvent(e, MustResolve(e.time_zone)).ok());
  Session removed = e.sessions[1];
  removed.description = "Site visit: meet at the harbour";
  removed.join_url = "https://meet.example.org/connection/day2-private";
  removed.room = "Room 2";
  e.sessions.erase(e.sessions.begin() + 1);
  e.removed_sessions = {removed};
  ASSERT_TRUE(PrepareEvent(e, MustResolve(e.time_zone)).ok());
  const std::string ics = MustExport({e});
  const ICalendarComponent cal = MustParse(ics);
  const ICalendarComponent* gone = FindByProperty(cal, "VEVENT", "UID", "day2.cop1-ws3@convene");
  ASSERT_NE(gone, nullptr);
  EXPECT_EQ(Value(*gone, "STATUS"), "CANCELLED");
  EXPECT_EQ(Value(*gone, "DTSTART"), "20220316T093000");
  EXPECT_EQ(Value(*gone, "DESCRIPTION"), "Removed from the programme.");
  EXPECT_EQ(gone->Property("CONFERENCE"), nullptr);
  EXPECT_THAT(ics, ::testing::Not(HasSubstr("day2-private")));
  EXPECT_THAT(ics, ::testing::Not(HasSubstr("harbour")));
  // The sessions still on the programme keep theirs.
  const ICalendarComponent* day1 = FindByProperty(cal, "VEVENT", "UID", "day1.cop1-ws3@convene");
  ASSERT_NE(day1, nullptr);
  EXPECT_NE(day1->Property("CONFERENCE"), nullptr);
}

TEST(ExportICalendar, KeepsEveryLineWithin75Octets) {
  for (const std::string& line : PhysicalLines(MustExport(Scenario()))) {
    EXPECT_LE(line.size(), 75u) << line;
  }
}

TEST(ExportICalendar, FoldsGreekAndBulgarianTextWithoutSplittingCharacters) {
  const std::string ics = MustExport(Scenario());
  bool backed_off = false;  // a fold moved before a character's first byte
  const std::vector<std::string> lines = PhysicalLines(ics);
  for (size_t i = 0; i < lines.size(); ++i) {
    EXPECT_TRUE(IsUtf8(lines[i])) << "line " << i + 1 << ": " << lines[i];
    if (i + 1 < lines.size() && absl::StartsWith(lines[i + 1], " ") &&
        lines[i].size() < 75) {
      backed_off = true;
    }
  }
  EXPECT_TRUE(backed_off);

  const ICalendarComponent cal = MustParse(ics);
  const ICalendarComponent* day1 =
      FindByProperty(cal, "VEVENT", "UID", "day1.cop1-ws3@convene");
  ASSERT_NE(day1, nullptr);
  absl::StatusOr<std::string> description =
      UnescapeICalendarText(Value(*day1, "DESCRIPTION"));
  ASSERT_TRUE(description.ok()) << description.status();
  EXPECT_EQ(*description,
            absl::StrCat(kGreekBulgarian,
                         "\n\nJoin online (Zoom): "
                         "https://meet.example.org/connection/cop1-3"));
}

TEST(ExportICalendar, RefusesAnUnsetNowAndAnUnknownZone) {
  std::vector<Event> events = {FirstPartnerMeeting()};
  absl::StatusOr<std::string> ics = ExportICalendar(events, {});
  EXPECT_EQ(ics.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ics.status().message(), HasSubstr("opts.now"));

  events[0].time_zone = "Europe/Bruxelles";
  ics = ExportICalendar(events, Options());
  EXPECT_EQ(ics.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ics.status().message(), HasSubstr("events[0].time_zone"));
}

TEST(ICalendarText, EscapesAndUnescapes) {
  const std::string original = "a,b;c\\d\ne\r\nf";
  const std::string escaped = EscapeICalendarText(original);
  EXPECT_EQ(escaped, "a\\,b\\;c\\\\d\\ne\\nf");
  EXPECT_THAT(UnescapeICalendarText(escaped), IsOkAndHolds("a,b;c\\d\ne\nf"));
  EXPECT_THAT(UnescapeICalendarText("x\\Ny"), IsOkAndHolds("x\ny"));
  EXPECT_EQ(EscapeICalendarText("bad \xff byte\x01"), "bad \xEF\xBF\xBD byte");
  EXPECT_EQ(UnescapeICalendarText("a\\tb").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(UnescapeICalendarText("a\\").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ParseICalendar, ReadsParametersAndUnfoldsLines) {
  absl::StatusOr<std::vector<ICalendarComponent>> parsed = ParseICalendar(
      "BEGIN:VCALENDAR\r\n"
      "begin:vevent\r\n"
      "ATTENDEE;ROLE=CHAIR;MEMBER=\"mailto:a@x\",\"mailto:b@x\":mailto:c@x\r\n"
      "SUMMARY:Work\r\n"
      " shop\r\n"
      "\tin Turin\r\n"
      "END:VEVENT\r\n"
      "END:VCALENDAR\r\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->size(), 1u);
  const std::vector<const ICalendarComponent*> events =
      parsed->front().Components("VEVENT");
  ASSERT_EQ(events.size(), 1u);
  const ICalendarProperty* attendee = events[0]->Property("attendee");
  ASSERT_NE(attendee, nullptr);
  EXPECT_EQ(attendee->value, "mailto:c@x");
  ASSERT_EQ(attendee->parameters.size(), 2u);
  EXPECT_EQ(*attendee->Param("role"), "CHAIR");
  EXPECT_THAT(attendee->parameters[1].values,
              ::testing::ElementsAre("mailto:a@x", "mailto:b@x"));
  EXPECT_EQ(attendee->line, 3);
  EXPECT_EQ(Value(*events[0], "SUMMARY"), "Workshopin Turin");
}

TEST(ParseICalendar, RoundTripsTheExport) {
  const std::vector<Event> events = Scenario();
  const ICalendarComponent cal = MustParse(MustExport(events));
  EXPECT_EQ(cal.name, "VCALENDAR");
  EXPECT_EQ(cal.Components("VTIMEZONE").size(), 3u);
  const std::vector<const ICalendarComponent*> vevents =
      cal.Components("VEVENT");
  ASSERT_EQ(vevents.size(), 6u);
  // Every VEVENT resolves back to the instants PrepareEvent() derived.
  std::vector<absl::Time> starts;
  for (const Event& e : events) {
    if (e.sessions.empty()) starts.push_back(e.start);
    for (const Session& s : e.sessions) starts.push_back(s.start);
  }
  for (size_t i = 0; i < vevents.size(); ++i) {
    const ICalendarProperty* dtstart = vevents[i]->Property("DTSTART");
    ASSERT_NE(dtstart, nullptr);
    ASSERT_NE(dtstart->Param("TZID"), nullptr);
    EXPECT_THAT(
        ResolveICalendarDateTime(dtstart->value, *dtstart->Param("TZID")),
        IsOkAndHolds(starts[i]))
        << Value(*vevents[i], "UID");
    absl::StatusOr<std::string> summary =
        UnescapeICalendarText(Value(*vevents[i], "SUMMARY"));
    EXPECT_TRUE(summary.ok());
  }
}

absl::Status ParseError(absl::string_view text) {
  return ParseICalendar(text).status();
}

TEST(ParseICalendar, RejectsMalformedInputWithALineNumber) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VEVENT\r\n",
       "line 3: input ends inside BEGIN:VCALENDAR of line 1 (no END)"},
      {"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VCALENDAR\r\n",
       "line 3: END:VCALENDAR does not match BEGIN:VEVENT of line 2"},
      {"BEGIN:VCALENDAR\r\nVERSION 2.0\r\nEND:VCALENDAR\r\n",
       "line 2: expected ':' after VERSION (a line without a colon)"},
      {"BEGIN:VCALENDAR\r\nSUMMARY\r\nEND:VCALENDAR\r\n",
       "line 2: expected ':' after SUMMARY"},
      {"BEGIN:VCALENDAR\nEND:VCALENDAR\n", "line 1: bare CR or LF"},
      {"BEGIN:VCALENDAR\r\nEND:VCALENDAR", "line 2: line does not end in CRLF"},
      {"BEGIN:VCALENDAR\r\nX:a\rb\r\nEND:VCALENDAR\r\n",
       "line 2: bare CR or LF"},
      {" BEGIN:VCALENDAR\r\n", "line 1: continuation line"},
      {"VERSION:2.0\r\n", "line 1: property VERSION outside any component"},
      {"BEGIN:VEVENT\r\nEND:VEVENT\r\n", "line 1: expected BEGIN:VCALENDAR"},
      {"END:VCALENDAR\r\n", "line 1: END:VCALENDAR without BEGIN"},
      {"BEGIN:VCALENDAR\r\n\r\nEND:VCALENDAR\r\n", "line 2: empty line"},
      {"BEGIN:VCALENDAR\r\nX:\xC3\r\nEND:VCALENDAR\r\n",
       "line 2: invalid UTF-8"},
      {"BEGIN:VCALENDAR\r\nX:a\x01\r\nEND:VCALENDAR\r\n",
       "line 2: control character 0x01"},
      {"BEGIN:VCALENDAR\r\nX;P=\"open:x\r\nEND:VCALENDAR\r\n",
       "line 2: parameter P has an unterminated quote"},
      {"BEGIN:VCALENDAR\r\nX;P=a\"b\":x\r\nEND:VCALENDAR\r\n",
       "line 2: parameter P has a quote inside a value"},
      {"BEGIN:VCALENDAR\r\nBEGIN;X=1:VEVENT\r\n", "line 2: BEGIN takes no"},
      {"BEGIN:VCALENDAR\r\nBEGIN:V EVENT\r\n", "line 2: BEGIN needs a"},
      {"", "line 1: empty input"},
  };
  for (const Case& c : cases) {
    const absl::Status s = ParseError(c.text);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(s.message(), HasSubstr(c.message)) << c.text;
  }
}

TEST(ParseICalendar, BoundsNestingAndLineLength) {
  std::string deep;
  for (int i = 0; i < 100; ++i) {
    absl::StrAppend(&deep, i == 0 ? "BEGIN:VCALENDAR" : "BEGIN:X", "\r\n");
  }
  EXPECT_THAT(ParseError(deep).message(),
              HasSubstr("line 17: components nested more than 16 deep"));

  std::string long_line = "BEGIN:VCALENDAR\r\nX:";
  for (int i = 0; i < 70000 / 70; ++i) {
    absl::StrAppend(&long_line, std::string(70, 'a'), "\r\n ");
  }
  absl::StrAppend(&long_line, "\r\nEND:VCALENDAR\r\n");
  EXPECT_THAT(ParseError(long_line).message(),
              HasSubstr("line 2: content line longer than 65536 octets"));
}

// A small deterministic stand-in for the fuzz target: cut and damaged
// exports must come back as an error or a tree, never as a crash.
TEST(ParseICalendar, SurvivesTruncatedAndDamagedExports) {
  const std::string ics = MustExport(Scenario());
  for (size_t n = 0; n < ics.size(); n += 7) {
    (void)ParseICalendar(absl::string_view(ics).substr(0, n));
  }
  std::mt19937 random(20220315);
  const char kNasty[] = {'\r', '\n', ' ',    ':',    ';',  '"', ',',
                         '\\', '=',  '\x80', '\xC3', '\0', 'B', '\t'};
  int refused = 0;
  for (int round = 0; round < 2000; ++round) {
    std::string damaged = ics;
    for (int k = 0; k < 1 + round % 5; ++k) {
      damaged[random() % damaged.size()] = kNasty[random() % sizeof(kNasty)];
    }
    absl::StatusOr<std::vector<ICalendarComponent>> parsed =
        ParseICalendar(damaged);
    if (!parsed.ok()) {
      ++refused;
      EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
      EXPECT_TRUE(absl::StartsWith(parsed.status().message(), "line "))
          << parsed.status();
    }
  }
  // The checks above run only for refused inputs: some must be refused
  // (and some damage must be harmless), or the loop checked nothing.
  EXPECT_GT(refused, 100);
  EXPECT_LT(refused, 2000);
}

TEST(ResolveICalendarDateTime, ReadsGapsAndOverlapsAsRfc5545Says) {
  // 02:30 does not exist in Brussels on 2022-03-27: read with +01:00.
  EXPECT_THAT(ResolveICalendarDateTime("20220327T023000", "Europe/Brussels"),
              IsOkAndHolds(Utc(2022, 3, 27, 1, 30)));
  // 02:30 happens twice on 2022-10-30: the first one (CEST).
  EXPECT_THAT(ResolveICalendarDateTime("20221030T023000", "Europe/Brussels"),
              IsOkAndHolds(Utc(2022, 10, 30, 0, 30)));
  EXPECT_THAT(ResolveICalendarDateTime("20220315T093000", "Europe/Athens"),
              IsOkAndHolds(Utc(2022, 3, 15, 7, 30)));
  EXPECT_THAT(ResolveICalendarDateTime("20220315T093000Z", ""),
              IsOkAndHolds(Utc(2022, 3, 15, 9, 30)));
  EXPECT_THAT(
      ResolveICalendarDateTime("20220315T093000", MustResolve("Asia/Tokyo")),
      IsOkAndHolds(Utc(2022, 3, 15, 0, 30)));
}

TEST(ResolveICalendarDateTime, RefusesWhatNamesNoInstant) {
  const struct {
    const char* value;
    const char* tzid;
    const char* message;
  } cases[] = {
      {"20220315T093000", "", "floating"},
      {"20220315T093000Z", "Europe/Athens", "takes no TZID"},
      {"20220230T093000", "Europe/Athens", "no such date"},
      {"20220315T243000", "Europe/Athens", "no such time of day"},
      {"20220315T235960Z", "", "leap seconds"},
      {"00000315T093000Z", "", "year 0000"},
      {"2022-03-15T09:30", "Europe/Athens", "expected YYYYMMDDThhmmss"},
      {"20220315T093000", "Europe/Bruxelles", "TZID: unknown time zone"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<absl::Time> t = ResolveICalendarDateTime(c.value, c.tzid);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << c.value;
    EXPECT_THAT(t.status().message(), HasSubstr(c.message)) << c.value;
  }
}

}  // namespace
}  // namespace convene::core

namespace convene::core {
namespace {

Invitation ThreeDays() {
  Invitation inv;
  inv.uid = "ev_1-eleni@convene";
  inv.sequence = 2;
  inv.stamp = Utc(2022, 3, 2, 12, 0);
  inv.summary = "CoP1 3rd workshop";
  inv.organiser_name = "Thessaloniki; CoP1";
  inv.organiser_email = "cop1@thessaloniki.example";
  inv.attendee_name = "Eleni";
  inv.attendee_email = "eleni@example.org";
  for (int d = 15; d <= 17; ++d) {
    inv.days.push_back({Utc(2022, 3, d, 7, 0), Utc(2022, 3, d, 15, 30),
                        d == 16 ? "https://meet.example.org/x" : "City Hall, Vasileos Georgiou A 1",
                        d == 16 ? "Online: https://meet.example.org/x" : "In person"});
  }
  return inv;
}

TEST(WriteInvitation, RequestsEachAttendedDayUnderOneUidWithItsPlace) {
  absl::StatusOr<std::string> ics = WriteInvitation(ThreeDays());
  ASSERT_TRUE(ics.ok()) << ics.status();
  const ICalendarComponent cal = MustParse(*ics);
  EXPECT_EQ(Value(cal, "METHOD"), "REQUEST");
  const std::vector<const ICalendarComponent*> events = cal.Components("VEVENT");
  ASSERT_EQ(events.size(), 3u);
  for (const ICalendarComponent* e : events) {
    EXPECT_EQ(Value(*e, "UID"), "ev_1-eleni@convene");
    EXPECT_EQ(Value(*e, "SEQUENCE"), "2");
    EXPECT_EQ(Value(*e, "ORGANIZER"), "mailto:cop1@thessaloniki.example");
    EXPECT_EQ(Value(*e, "ATTENDEE"), "mailto:eleni@example.org");
    EXPECT_EQ(Value(*e, "STATUS"), "CONFIRMED");
  }
  EXPECT_EQ(Value(*events[0], "DTSTART"), "20220315T070000Z");
  EXPECT_EQ(Value(*events[0], "RDATE"),
            "20220316T070000Z/20220316T153000Z,20220317T070000Z/20220317T153000Z");
  EXPECT_EQ(Value(*events[1], "RECURRENCE-ID"), "20220316T070000Z");
  EXPECT_EQ(Value(*events[1], "LOCATION"), "https://meet.example.org/x");
  EXPECT_EQ(Value(*events[2], "LOCATION"), "City Hall\\, Vasileos Georgiou A 1");
  EXPECT_THAT(*ics, HasSubstr("ORGANIZER;CN=\"Thessaloniki; CoP1\":mailto:"));
}

TEST(WriteInvitation, CancelsTheWholeUidAndRefusesWithoutAnOrganiser) {
  Invitation inv = ThreeDays();
  inv.cancel = true;
  absl::StatusOr<std::string> ics = WriteInvitation(inv);
  ASSERT_TRUE(ics.ok()) << ics.status();
  const ICalendarComponent cal = MustParse(*ics);
  EXPECT_EQ(Value(cal, "METHOD"), "CANCEL");
  ASSERT_EQ(cal.Components("VEVENT").size(), 1u);
  EXPECT_EQ(Value(*cal.Components("VEVENT")[0], "STATUS"), "CANCELLED");
  inv.organiser_email.clear();
  EXPECT_FALSE(WriteInvitation(inv).ok());
}

}  // namespace
}  // namespace convene::core
