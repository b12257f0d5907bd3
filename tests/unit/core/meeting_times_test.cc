#include "core/meeting_times.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/city_zones.h"
#include "core/zone.h"
#include "core_test_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::MustResolve;
using testing::Utc;

MeetingParticipant Person(std::string name, absl::string_view zone,
                          int working_start = 9 * 60,
                          int working_end = 17 * 60) {
  return MeetingParticipant{.name = std::move(name),
                            .zone = MustResolve(zone),
                            .working_start = working_start,
                            .working_end = working_end};
}

// The partners of the Thessaloniki workshop who join online, 09:00-17:00
// each in their own city, Monday to Friday.
std::vector<MeetingParticipant> Partners() {
  return {Person("Eurocities", "Europe/Brussels"),
          Person("Athens", "Europe/Athens"),
          Person("Tampere", "Europe/Helsinki")};
}

MeetingTimesRequest Request(std::vector<MeetingParticipant> participants,
                            absl::CivilDay from, absl::CivilDay to) {
  return MeetingTimesRequest{.participants = std::move(participants),
                             .range_zone = MustResolve("Europe/Brussels"),
                             .from_date = from,
                             .to_date = to,
                             .duration_minutes = 60,
                             .step_minutes = 15,
                             .max_results = kMaxMeetingResults};
}

MeetingTimes MustFind(const MeetingTimesRequest& request) {
  absl::StatusOr<MeetingTimes> found = FindMeetingTimes(request);
  EXPECT_TRUE(found.ok()) << found.status();
  return found.value_or(MeetingTimes{});
}

std::vector<absl::Time> Starts(const MeetingTimes& found) {
  std::vector<absl::Time> starts;
  for (const MeetingSlot& slot : found.slots) starts.push_back(slot.start);
  std::sort(starts.begin(), starts.end());
  return starts;
}

// How many slots start on each UTC date.
std::map<absl::CivilDay, int> SlotsPerUtcDay(const MeetingTimes& found) {
  std::map<absl::CivilDay, int> per_day;
  for (const MeetingSlot& slot : found.slots) {
    ++per_day[absl::ToCivilDay(slot.start, absl::UTCTimeZone())];
  }
  return per_day;
}

TEST(FindMeetingTimes, PartnersShareNineToFourBrusselsTimeOnAWeekday) {
  MeetingTimesRequest request = Request(Partners(), absl::CivilDay(2022, 3, 15),
                                        absl::CivilDay(2022, 3, 15));
  request.max_results = 3;
  const MeetingTimes found = MustFind(request);

  // Brussels 09:00-16:00 (CET) = Athens/Tampere 10:00-17:00 (EET): a
  // 60-minute meeting starts 09:00..15:00 Brussels, every 15 minutes.
  EXPECT_EQ(found.matching_slots, 25);
  ASSERT_EQ(found.slots.size(), 3u);

  // Best: noon in Brussels, three hours from everyone's nearest edge.
  const MeetingSlot& best = found.slots[0];
  EXPECT_EQ(best.start, Utc(2022, 3, 15, 11, 0));
  EXPECT_EQ(best.end, Utc(2022, 3, 15, 12, 0));
  EXPECT_EQ(best.score, 180);
  ASSERT_EQ(best.participants.size(), 3u);
  EXPECT_EQ(best.participants[0].name, "Eurocities");
  EXPECT_EQ(best.participants[0].start.local,
            absl::CivilSecond(2022, 3, 15, 12, 0, 0));
  EXPECT_EQ(best.participants[0].end.local,
            absl::CivilSecond(2022, 3, 15, 13, 0, 0));
  EXPECT_EQ(best.participants[0].start.utc_offset, absl::Hours(1));
  EXPECT_EQ(best.participants[1].start.local,
            absl::CivilSecond(2022, 3, 15, 13, 0, 0));
  EXPECT_EQ(best.participants[1].start.utc_offset, absl::Hours(2));
  EXPECT_EQ(best.participants[2].start.local,
            absl::CivilSecond(2022, 3, 15, 13, 0, 0));
  EXPECT_EQ(best.participants[2].end.local,
            absl::CivilSecond(2022, 3, 15, 14, 0, 0));
  for (const MeetingParticipantTimes& p : best.participants) {
    EXPECT_EQ(p.margin_minutes, 180) << p.name;
  }

  // Then a quarter of an hour either way, the earlier first.
  EXPECT_EQ(found.slots[1].start, Utc(2022, 3, 15, 10, 45));
  EXPECT_EQ(found.slots[1].score, 165);
  EXPECT_EQ(found.slots[2].start, Utc(2022, 3, 15, 11, 15));
  EXPECT_EQ(found.slots[2].score, 165);
}

TEST(FindMeetingTimes, ListsEveryCommonStartWhenAskedForAll) {
  const MeetingTimes found = MustFind(Request(
      Partners(), absl::CivilDay(2022, 3, 15), absl::CivilDay(2022, 3, 15)));
  ASSERT_EQ(found.slots.size(), 25u);
  const std::vector<absl::Time> starts = Starts(found);
  for (size_t i = 0; i < starts.size(); ++i) {
    EXPECT_EQ(starts[i],
              Utc(2022, 3, 15, 8, 0) + absl::Minutes(15 * static_cast<int>(i)));
  }
  // The edges of the window fit exactly: score 0.
  EXPECT_EQ(found.slots.back().score, 0);
}

TEST(FindMeetingTimes, NewYorkIsOnlyFiveHoursBehindWhileTheUsAloneHasSwitched) {
  std::vector<MeetingParticipant> people = Partners();
  people.push_back(Person("Online from New York", "America/New_York"));
  // Mon 7 March to Fri 1 April 2022. The US moved to EDT on 13 March, the EU
  // to summer time on 27 March.
  const MeetingTimes found =
      MustFind(Request(std::move(people), absl::CivilDay(2022, 3, 7),
                       absl::CivilDay(2022, 4, 1)));

  // Common hours: from 09:00 New York to 17:00 Athens/Tampere.
  // 7-11 March: 15:00-16:00 Brussels (14:00-15:00Z), one slot a day.
  // 14-25 March: New York is UTC-4, Brussels UTC+1: 14:00-16:00 Brussels,
  //   5 slots a day.
  // 28 March-1 April: 15:00-16:00 CEST (13:00-14:00Z), one slot a day.
  EXPECT_EQ(found.matching_slots, 5 + 10 * 5 + 5);
  ASSERT_EQ(found.slots.size(), 60u);

  const std::map<absl::CivilDay, int> per_day = SlotsPerUtcDay(found);
  EXPECT_EQ(per_day.size(), 20u);  // weekdays only
  EXPECT_EQ(per_day.at(absl::CivilDay(2022, 3, 11)), 1);
  EXPECT_EQ(per_day.at(absl::CivilDay(2022, 3, 14)), 5);
  EXPECT_EQ(per_day.at(absl::CivilDay(2022, 3, 25)), 5);
  EXPECT_EQ(per_day.at(absl::CivilDay(2022, 3, 28)), 1);
  EXPECT_EQ(per_day.count(absl::CivilDay(2022, 3, 12)), 0u);
  EXPECT_EQ(per_day.count(absl::CivilDay(2022, 3, 13)), 0u);

  // The best ten are the middle of the two-hour window, 14:30 Brussels and
  // 09:30 New York, on each weekday of 14-25 March, in date order.
  const int march_days[] = {14, 15, 16, 17, 18, 21, 22, 23, 24, 25};
  for (int i = 0; i < 10; ++i) {
    const MeetingSlot& slot = found.slots[i];
    const absl::CivilDay day(2022, 3, march_days[i]);
    EXPECT_EQ(slot.start, Utc(2022, 3, static_cast<int>(day.day()), 13, 30));
    EXPECT_EQ(slot.score, 30);
    EXPECT_EQ(slot.participants[0].start.local,
              absl::CivilSecond(day.year(), day.month(), day.day(), 14, 30, 0));
    EXPECT_EQ(slot.participants[3].start.local,
              absl::CivilSecond(day.year(), day.month(), day.day(), 9, 30, 0));
    EXPECT_EQ(slot.participants[3].start.utc_offset, absl::Hours(-4));
  }

  // Outside those two weeks the only slot is 15:00-16:00 Brussels, 09:00
  // New York, whatever UTC says.
  for (const MeetingSlot& slot : found.slots) {
    const absl::CivilDay utc_day =
        absl::ToCivilDay(slot.start, absl::UTCTimeZone());
    if (utc_day >= absl::CivilDay(2022, 3, 14) &&
        utc_day <= absl::CivilDay(2022, 3, 25)) {
      continue;
    }
    EXPECT_EQ(slot.score, 0);
    EXPECT_EQ(slot.participants[0].start.local.hour(), 15);
    EXPECT_EQ(slot.participants[3].start.local.hour(), 9);
    EXPECT_EQ(slot.participants[3].start.local.minute(), 0);
  }
  auto slot_on = [&](absl::CivilDay day) -> const MeetingSlot* {
    for (const MeetingSlot& slot : found.slots) {
      if (absl::ToCivilDay(slot.start, absl::UTCTimeZone()) == day) {
        return &slot;
      }
    }
    return nullptr;
  };
  ASSERT_NE(slot_on(absl::CivilDay(2022, 3, 8)), nullptr);
  EXPECT_EQ(slot_on(absl::CivilDay(2022, 3, 8))->start, Utc(2022, 3, 8, 14, 0));
  ASSERT_NE(slot_on(absl::CivilDay(2022, 3, 29)), nullptr);
  EXPECT_EQ(slot_on(absl::CivilDay(2022, 3, 29))->start,
            Utc(2022, 3, 29, 13, 0));
}

TEST(FindMeetingTimes, FindsNoSlotWithTokyoAndSaysSoWithoutAnError) {
  std::vector<MeetingParticipant> people = Partners();
  people.push_back(Person("Online from Tokyo", "Asia/Tokyo"));
  const MeetingTimes found =
      MustFind(Request(std::move(people), absl::CivilDay(2022, 3, 14),
                       absl::CivilDay(2022, 3, 18)));
  EXPECT_EQ(found.matching_slots, 0);
  EXPECT_TRUE(found.slots.empty());
}

TEST(FindMeetingTimes, MeetsTokyoWhenItsEveningIsBrusselsMorning) {
  std::vector<MeetingParticipant> people = Partners();
  // 16:00-24:00 JST = 07:00-15:00Z: the whole common window of the partners.
  people.push_back(Person("Online from Tokyo", "Asia/Tokyo", 16 * 60, 24 * 60));
  const MeetingTimes found =
      MustFind(Request(std::move(people), absl::CivilDay(2022, 3, 15),
                       absl::CivilDay(2022, 3, 15)));
  EXPECT_EQ(found.matching_slots, 25);
  ASSERT_FALSE(found.slots.empty());
  EXPECT_EQ(found.slots[0].participants[3].start.local,
            absl::CivilSecond(2022, 3, 15, 20, 0, 0));
}

TEST(FindMeetingTimes, SkipsWeekends) {
  // Fri 11 to Mon 14 March 2022.
  const MeetingTimes found = MustFind(Request(
      Partners(), absl::CivilDay(2022, 3, 11), absl::CivilDay(2022, 3, 14)));
  const std::map<absl::CivilDay, int> per_day = SlotsPerUtcDay(found);
  EXPECT_THAT(per_day, ElementsAre(std::pair(absl::CivilDay(2022, 3, 11), 25),
                                   std::pair(absl::CivilDay(2022, 3, 14), 25)));

  const MeetingTimes weekend = MustFind(Request(
      Partners(), absl::CivilDay(2022, 3, 12), absl::CivilDay(2022, 3, 13)));
  EXPECT_EQ(weekend.matching_slots, 0);
}

TEST(FindMeetingTimes, FollowsEachParticipantsOwnWorkingDays) {
  std::vector<MeetingParticipant> people = Partners();
  for (MeetingParticipant& p : people) p.working_weekdays = {6};  // Saturday
  const MeetingTimes found =
      MustFind(Request(std::move(people), absl::CivilDay(2022, 3, 11),
                       absl::CivilDay(2022, 3, 14)));
  const std::map<absl::CivilDay, int> per_day = SlotsPerUtcDay(found);
  EXPECT_THAT(per_day, ElementsAre(std::pair(absl::CivilDay(2022, 3, 12), 25)));
}

TEST(FindMeetingTimes, KeepsLocalHoursAcrossTheEuSpringChange) {
  // Fri 25 to Mon 28 March 2022; clocks change on Sunday 27.
  MeetingTimesRequest request = Request(Partners(), absl::CivilDay(2022, 3, 25),
                                        absl::CivilDay(2022, 3, 28));
  request.step_minutes = 60;
  const MeetingTimes found = MustFind(request);

  EXPECT_EQ(found.matching_slots, 14);  // 09:00..15:00 Brussels, two days
  for (const MeetingSlot& slot : found.slots) {
    EXPECT_GE(slot.participants[0].start.local.hour(), 9);
    EXPECT_LE(slot.participants[0].start.local.hour(), 15);
    EXPECT_EQ(slot.participants[1].start.local.hour(),
              slot.participants[0].start.local.hour() + 1);
  }
  // Noon in Brussels is 11:00Z on Friday and 10:00Z on Monday.
  ASSERT_GE(found.slots.size(), 2u);
  EXPECT_EQ(found.slots[0].start, Utc(2022, 3, 25, 11, 0));
  EXPECT_EQ(found.slots[0].participants[0].start.utc_offset, absl::Hours(1));
  EXPECT_EQ(found.slots[1].start, Utc(2022, 3, 28, 10, 0));
  EXPECT_EQ(found.slots[1].participants[0].start.utc_offset, absl::Hours(2));
  EXPECT_EQ(found.slots[1].participants[1].start.local,
            absl::CivilSecond(2022, 3, 28, 13, 0, 0));
  EXPECT_EQ(found.slots[0].score, 180);
  EXPECT_EQ(found.slots[1].score, 180);
}

TEST(FindMeetingTimes, WorkingHoursOverTheSpringGapAreAnHourShorter) {
  // 00:00-06:00 on Sunday 27 March 2022 in Brussels lasts five hours:
  // 02:00-03:00 does not exist.
  MeetingParticipant night = Person("Night desk", "Europe/Brussels", 0, 6 * 60);
  night.working_weekdays = {7};
  MeetingTimesRequest request = Request({night}, absl::CivilDay(2022, 3, 27),
                                        absl::CivilDay(2022, 3, 27));
  request.duration_minutes = 300;
  MeetingTimes found = MustFind(request);
  ASSERT_EQ(found.slots.size(), 1u);
  EXPECT_EQ(found.slots[0].start, Utc(2022, 3, 26, 23, 0));
  EXPECT_EQ(found.slots[0].end, Utc(2022, 3, 27, 4, 0));
  EXPECT_EQ(found.slots[0].score, 0);
  EXPECT_EQ(found.slots[0].participants[0].start.local,
            absl::CivilSecond(2022, 3, 27, 0, 0, 0));
  EXPECT_EQ(found.slots[0].participants[0].start.utc_offset, absl::Hours(1));
  EXPECT_EQ(found.slots[0].participants[0].end.local,
            absl::CivilSecond(2022, 3, 27, 6, 0, 0));
  EXPECT_EQ(found.slots[0].participants[0].end.utc_offset, absl::Hours(2));

  request.duration_minutes = 360;
  EXPECT_EQ(MustFind(request).matching_slots, 0);
}

TEST(FindMeetingTimes, HoursStartingInTheSpringGapStartWhenTheClocksJump) {
  // 02:30 does not exist on 27 March 2022 in Brussels: the first instant
  // after it on the wall clock is 03:00 CEST (01:00Z).
  MeetingParticipant p =
      Person("Early desk", "Europe/Brussels", 2 * 60 + 30, 5 * 60);
  p.working_weekdays = {7};
  MeetingTimesRequest request =
      Request({p}, absl::CivilDay(2022, 3, 27), absl::CivilDay(2022, 3, 27));
  request.duration_minutes = 120;
  const MeetingTimes found = MustFind(request);
  ASSERT_EQ(found.slots.size(), 1u);
  EXPECT_EQ(found.slots[0].start, Utc(2022, 3, 27, 1, 0));
  EXPECT_EQ(found.slots[0].participants[0].start.local,
            absl::CivilSecond(2022, 3, 27, 3, 0, 0));
}

TEST(FindMeetingTimes, ASlotThroughTheRepeatedAutumnHourLeavesTheWindow) {
  // 30 October 2022 in Brussels: 03:00 CEST (01:00Z) becomes 02:00 CET.
  // Working 02:30-05:00, the wall clock shows 02:30-03:00 CEST (00:30-01:00Z),
  // then 02:00-02:30 CET (01:00-01:30Z, outside), then 02:30-05:00 CET
  // (01:30-04:00Z).
  MeetingParticipant p =
      Person("Autumn desk", "Europe/Brussels", 2 * 60 + 30, 5 * 60);
  p.working_weekdays = {7};
  MeetingTimesRequest request =
      Request({p}, absl::CivilDay(2022, 10, 30), absl::CivilDay(2022, 10, 30));
  request.range_zone = MustResolve("UTC");

  MeetingTimes found = MustFind(request);  // 60 minutes
  EXPECT_EQ(found.matching_slots, 7);      // 01:30Z..03:00Z
  const std::vector<absl::Time> starts = Starts(found);
  ASSERT_FALSE(starts.empty());
  EXPECT_EQ(starts.front(), Utc(2022, 10, 30, 1, 30));
  EXPECT_EQ(starts.back(), Utc(2022, 10, 30, 3, 0));
  EXPECT_EQ(found.slots[0].start, Utc(2022, 10, 30, 2, 15));
  EXPECT_EQ(found.slots[0].score, 45);

  request.duration_minutes = 30;
  found = MustFind(request);
  std::vector<absl::Time> short_starts = Starts(found);
  ASSERT_EQ(short_starts.size(), 10u);  // 00:30Z, then 01:30Z..03:30Z
  EXPECT_EQ(short_starts[0], Utc(2022, 10, 30, 0, 30));
  EXPECT_EQ(short_starts[1], Utc(2022, 10, 30, 1, 30));
}

TEST(FindMeetingTimes, AlignsTheGridToMidnightOfTheRangeZone) {
  // Midnight in Kolkata (+05:30) is half past the hour in UTC, so hourly
  // starts are at half past in Brussels too.
  MeetingTimesRequest request = Request(Partners(), absl::CivilDay(2022, 3, 15),
                                        absl::CivilDay(2022, 3, 15));
  request.range_zone = MustResolve("Asia/Kolkata");
  request.step_minutes = 60;
  const MeetingTimes found = MustFind(request);
  const std::vector<absl::Time> starts = Starts(found);
  ASSERT_EQ(starts.size(), 6u);  // 08:30Z..13:30Z
  EXPECT_EQ(starts.front(), Utc(2022, 3, 15, 8, 30));
  EXPECT_EQ(starts.back(), Utc(2022, 3, 15, 13, 30));
}

TEST(FindMeetingTimes, WorksWithZonesFromCityNames) {
  std::vector<MeetingParticipant> people;
  for (const char* city : {"Bruxelles", "Αθήνα", "Tampere"}) {
    absl::StatusOr<std::string> zone = ZoneForCity(city, "city");
    ASSERT_TRUE(zone.ok()) << zone.status();
    people.push_back(Person(city, *zone));
  }
  const MeetingTimes found =
      MustFind(Request(std::move(people), absl::CivilDay(2022, 3, 15),
                       absl::CivilDay(2022, 3, 15)));
  ASSERT_FALSE(found.slots.empty());
  EXPECT_EQ(found.slots[0].start, Utc(2022, 3, 15, 11, 0));
}

TEST(FindMeetingTimes, HandlesTheLargestRequestQuickly) {
  // 50 participants across the network, 62 days, a 5-minute grid.
  std::vector<MeetingParticipant> people;
  const std::span<const CityZone> cities = KnownCities();
  for (int i = 0; people.size() < kMaxMeetingParticipants; ++i) {
    const CityZone& city = cities[static_cast<size_t>(i) % cities.size()];
    if (city.iana_zone == "Asia/Tokyo") continue;
    people.push_back(Person(absl::StrCat(city.city, " ", i), city.iana_zone));
  }
  MeetingTimesRequest request =
      Request(std::move(people), absl::CivilDay(2022, 3, 1),
              absl::CivilDay(2022, 5, 1));
  request.step_minutes = 5;
  const auto begin = std::chrono::steady_clock::now();
  const MeetingTimes found = MustFind(request);
  const auto elapsed = std::chrono::steady_clock::now() - begin;
  // New York and Athens share 15:00-16:00 Brussels-ish at best.
  EXPECT_GT(found.matching_slots, 0);
  EXPECT_EQ(found.slots.size(), static_cast<size_t>(kMaxMeetingResults));
  // Generous even for an unoptimised sanitizer build.
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

struct InvalidCase {
  std::string name;
  std::function<void(MeetingTimesRequest&)> mutate;
  std::string message;  // the start of the field path, or more
};

class FindMeetingTimesValidation
    : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(FindMeetingTimesValidation, NamesTheField) {
  MeetingTimesRequest request = Request(Partners(), absl::CivilDay(2022, 3, 15),
                                        absl::CivilDay(2022, 3, 15));
  GetParam().mutate(request);
  absl::StatusOr<MeetingTimes> found = FindMeetingTimes(request);
  ASSERT_EQ(found.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(found.status().message()),
              ::testing::StartsWith(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Cases, FindMeetingTimesValidation,
    ::testing::Values(
        InvalidCase{"NoParticipants",
                    [](MeetingTimesRequest& r) { r.participants.clear(); },
                    "participants: at least one"},
        InvalidCase{"TooManyParticipants",
                    [](MeetingTimesRequest& r) {
                      while (r.participants.size() <= kMaxMeetingParticipants) {
                        r.participants.push_back(r.participants[0]);
                      }
                    },
                    "participants: 51 participants; at most 50"},
        InvalidCase{"EmptyName",
                    [](MeetingTimesRequest& r) { r.participants[1].name = ""; },
                    "participants[1].name: must not be empty"},
        InvalidCase{"NegativeStart",
                    [](MeetingTimesRequest& r) {
                      r.participants[2].working_start = -1;
                    },
                    "participants[2].working_start: -1 is not a minute"},
        InvalidCase{"EndAfterMidnight",
                    [](MeetingTimesRequest& r) {
                      r.participants[2].working_end = 24 * 60 + 1;
                    },
                    "participants[2].working_end: 1441"},
        InvalidCase{"EndEqualsStart",
                    [](MeetingTimesRequest& r) {
                      r.participants[0].working_end = 9 * 60;
                    },
                    "participants[0].working_end: 09:00 is not after "
                    "working_start 09:00"},
        InvalidCase{"NightShift",
                    [](MeetingTimesRequest& r) {
                      r.participants[2].working_start = 22 * 60;
                      r.participants[2].working_end = 6 * 60;
                    },
                    "participants[2].working_end: 06:00 is not after "
                    "working_start 22:00; working hours that cross midnight "
                    "are not supported"},
        InvalidCase{"NoWeekdays",
                    [](MeetingTimesRequest& r) {
                      r.participants[1].working_weekdays.clear();
                    },
                    "participants[1].working_weekdays: must name"},
        InvalidCase{"WeekdayZero",
                    [](MeetingTimesRequest& r) {
                      r.participants[1].working_weekdays = {0, 1};
                    },
                    "participants[1].working_weekdays: 0 is not an ISO"},
        InvalidCase{"WeekdayEight",
                    [](MeetingTimesRequest& r) {
                      r.participants[1].working_weekdays = {1, 8};
                    },
                    "participants[1].working_weekdays: 8 is not an ISO"},
        InvalidCase{"DurationTooShort",
                    [](MeetingTimesRequest& r) { r.duration_minutes = 14; },
                    "duration_minutes: 14 is out of range"},
        InvalidCase{"DurationTooLong",
                    [](MeetingTimesRequest& r) { r.duration_minutes = 721; },
                    "duration_minutes: 721 is out of range"},
        InvalidCase{"ToBeforeFrom",
                    [](MeetingTimesRequest& r) {
                      r.to_date = absl::CivilDay(2022, 3, 14);
                    },
                    "to_date: 2022-03-14 is before from_date 2022-03-15"},
        InvalidCase{"RangeTooLong",
                    [](MeetingTimesRequest& r) {
                      r.to_date = r.from_date + kMaxMeetingRangeDays;
                    },
                    "to_date: the range covers 63 days; at most 62"},
        InvalidCase{"YearZero",
                    [](MeetingTimesRequest& r) {
                      r.from_date = absl::CivilDay(0, 12, 31);
                    },
                    "from_date: year 0"},
        InvalidCase{"StepTooSmall",
                    [](MeetingTimesRequest& r) { r.step_minutes = 4; },
                    "step_minutes: 4 is out of range"},
        InvalidCase{"StepTooLarge",
                    [](MeetingTimesRequest& r) { r.step_minutes = 61; },
                    "step_minutes: 61 is out of range"},
        InvalidCase{"NoResults",
                    [](MeetingTimesRequest& r) { r.max_results = 0; },
                    "max_results: 0 is out of range"},
        InvalidCase{"TooManyResults",
                    [](MeetingTimesRequest& r) { r.max_results = 101; },
                    "max_results: 101 is out of range"}),
    [](const ::testing::TestParamInfo<InvalidCase>& info) {
      return info.param.name;
    });

TEST(FindMeetingTimes, AcceptsTheLimitsThemselves) {
  MeetingTimesRequest request =
      Request(Partners(), absl::CivilDay(2022, 3, 1),
              absl::CivilDay(2022, 3, 1) + (kMaxMeetingRangeDays - 1));
  request.duration_minutes = kMaxMeetingMinutes;
  request.step_minutes = kMaxMeetingStepMinutes;
  request.max_results = 1;
  request.participants[0].working_start = 0;
  request.participants[0].working_end = 24 * 60;
  EXPECT_TRUE(FindMeetingTimes(request).ok());
}

}  // namespace
}  // namespace convene::core
