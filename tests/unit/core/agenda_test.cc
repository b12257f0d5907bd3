#include "core/agenda.h"

#include "absl/strings/str_cat.h"
#include "core/day_hours.h"
#include "core/event_rules.h"
#include "core/local_date_time.h"
#include "core/zoned_rendering.h"
#include "gtest/gtest.h"
#include "testing_util/connection_calendar.h"

namespace convene::core {
namespace {

using testing_util::ConnectionCalendar;

Agenda AgendaFor(int index, const char* viewer_zone) {
  Event e = ConnectionCalendar()[index];
  Zone venue = *ResolveZone(e.time_zone);
  EXPECT_TRUE(PrepareEvent(e, venue).ok());
  absl::StatusOr<Agenda> a = BuildAgenda(e, venue, *ResolveZone(viewer_zone));
  EXPECT_TRUE(a.ok()) << a.status();
  return *a;
}

TEST(BuildAgenda, ShowsABrusselsMorningAnHourLaterInAthens) {
  Agenda a = AgendaFor(testing_util::kInterimMeeting, "Europe/Athens");
  ASSERT_EQ(a.days.size(), 2u);
  const AgendaItem& first = a.days[0].items[0];
  EXPECT_EQ(FormatLocalDateTime(first.start.venue_local), "2021-09-13T09:00");
  EXPECT_EQ(FormatLocalDateTime(first.start.viewer_local), "2021-09-13T10:00");
  EXPECT_EQ(FormatUtcOffset(first.start.venue_utc_offset), "+02:00");
  EXPECT_EQ(FormatUtcOffset(first.start.viewer_utc_offset), "+03:00");
  EXPECT_FALSE(first.start.viewer_date_differs);
}

TEST(BuildAgenda, ShowsAThessalonikiMorningAt3InNewYork) {
  Agenda a = AgendaFor(testing_util::kThessalonikiWorkshop, "America/New_York");
  ASSERT_EQ(a.days.size(), 3u);
  EXPECT_EQ(FormatLocalDate(a.days[0].venue_date), "2022-03-15");
  const AgendaItem& first = a.days[0].items[0];
  EXPECT_EQ(FormatLocalDateTime(first.start.viewer_local), "2022-03-15T03:00");
  EXPECT_EQ(FormatUtcOffset(first.start.viewer_utc_offset), "-04:00");
  // The guided tour stays in person only inside the hybrid workshop.
  const AgendaItem& tour = a.days[0].items[1];
  EXPECT_EQ(tour.format, EventFormat::kInPerson);
  EXPECT_TRUE(tour.join_url.empty());
  EXPECT_FALSE(first.join_url.empty());
}

TEST(BuildAgenda, MarksTheNextDayInTokyo) {
  Agenda a = AgendaFor(testing_util::kInterimMeeting, "Asia/Tokyo");
  const AgendaItem& last_day1 = a.days[0].items.back();  // ends 17:00 Brussels
  EXPECT_EQ(FormatLocalDateTime(last_day1.end.viewer_local), "2021-09-14T00:00");
  EXPECT_TRUE(last_day1.end.viewer_date_differs);
  EXPECT_FALSE(a.days[0].items[0].start.viewer_date_differs);  // 09:00 -> 16:00
}

TEST(BuildAgenda, GivesADayWithoutSessionsOneWholeDayItem) {
  Agenda a = AgendaFor(testing_util::kUtrechtConference, "Europe/Amsterdam");
  ASSERT_EQ(a.days.size(), 2u);
  ASSERT_EQ(a.days[0].items.size(), 1u);
  EXPECT_TRUE(a.days[0].items[0].session_id.empty());
  EXPECT_EQ(FormatLocalDateTime(a.days[0].items[0].start.venue_local), "2022-11-16T09:00");
  EXPECT_EQ(a.days[1].items[0].session_id, "s1");
}

TEST(BuildAgenda, ADayWithoutSessionsRunsFromTheOpeningToTheClosingHour) {
  // Three days, 09:00 Tuesday to 17:30 Thursday, no sessions: each day's
  // item runs as its participants' invitations and reminders say (09:00 to
  // 17:30 each day), not midnight to midnight.
  Event e;
  e.id = "ev_conference";
  e.title = "Thessaloniki partners' conference";
  e.time_zone = "Europe/Athens";
  e.format = EventFormat::kInPerson;
  e.venue.name = "Thessaloniki City Hall";
  e.start_local = absl::CivilSecond(2022, 3, 15, 9, 0, 0);
  e.end_local = absl::CivilSecond(2022, 3, 17, 17, 30, 0);
  Zone athens = *ResolveZone(e.time_zone);
  ASSERT_TRUE(PrepareEvent(e, athens).ok());
  absl::StatusOr<Agenda> a = BuildAgenda(e, athens, *ResolveZone("America/New_York"));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->days.size(), 3u);
  for (const AgendaDay& day : a->days) {
    ASSERT_EQ(day.items.size(), 1u);
    const AgendaItem& item = day.items[0];
    EXPECT_EQ(FormatLocalDateTime(item.start.venue_local),
              absl::StrCat(FormatLocalDate(day.venue_date), "T09:00"));
    EXPECT_EQ(FormatLocalDateTime(item.end.venue_local),
              absl::StrCat(FormatLocalDate(day.venue_date), "T17:30"));
    EXPECT_EQ(item.start.instant, DayStart(e, athens, day.venue_date));
    EXPECT_EQ(item.end.instant, DayEnd(e, athens, day.venue_date));
  }
  // The day itself is still the event's part of the local date.
  EXPECT_EQ(FormatLocalDateTime(a->days[1].start.venue_local), "2022-03-16T00:00");
}

}  // namespace
}  // namespace convene::core
