#include "core/reminder_planner.h"

#include <string>
#include <vector>

#include "core/day_hours.h"
#include "core/event_rules.h"
#include "core/transition_table_zone.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "testing_util/connection_calendar.h"

namespace convene::core {
namespace {

using ::testing::ElementsAre;
using ::testing::Field;
using ::testing::IsEmpty;

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

struct Prepared {
  Event event;
  Zone zone;
};

Prepared Prepare(Event e) {
  Zone zone = *ResolveZone(e.time_zone);
  absl::Status s = PrepareEvent(e, zone);
  EXPECT_TRUE(s.ok()) << s;
  return {e, zone};
}

Registration AllDays(const Event& e, AttendanceMode mode) {
  Registration r;
  r.participant.participant_id = "torino-1";
  for (absl::CivilDay d = absl::CivilDay(e.start_local);
       d <= absl::CivilDay(e.end_local); ++d) {
    r.days.push_back({d, mode, RegistrationStatus::kConfirmed, 0});
  }
  return r;
}

// A three-day Brussels training across the last Sunday of March 2022
// (2022-03-27, 02:00 CET -> 03:00 CEST), 09:30-17:30 local each day.
Event TrainingAcrossTheClockChange() {
  Event e;
  e.id = "ev_training";
  e.title = "Training of integration trainers";
  e.time_zone = "Europe/Brussels";
  e.format = EventFormat::kHybrid;
  e.venue = {"Brussels City Hall", "Grand-Place 1, 1000 Brussels", "Brussels", 0};
  e.online = {"Zoom", "https://meet.example.org/training", 0};
  e.start_local = absl::CivilSecond(2022, 3, 26, 9, 30, 0);
  e.end_local = absl::CivilSecond(2022, 3, 28, 17, 30, 0);
  e.sessions = {
      testing_util::MakeSession("Day 1", absl::CivilSecond(2022, 3, 26, 9, 30, 0),
                                absl::CivilSecond(2022, 3, 26, 17, 30, 0)),
      testing_util::MakeSession("Day 2", absl::CivilSecond(2022, 3, 27, 9, 30, 0),
                                absl::CivilSecond(2022, 3, 27, 17, 30, 0)),
      testing_util::MakeSession("Day 3", absl::CivilSecond(2022, 3, 28, 9, 30, 0),
                                absl::CivilSecond(2022, 3, 28, 17, 30, 0)),
  };
  return e;
}

TEST(ReminderPlanner, DefaultPolicyAcrossTheLastSundayOfMarchKeepsLocalHours) {
  Prepared p = Prepare(TrainingAcrossTheClockChange());
  const absl::Time ten_days_before = Utc(2022, 3, 16, 10, 0);
  std::vector<PlannedReminder> plan =
      PlanReminders(p.event, p.zone, AllDays(p.event, AttendanceMode::kInPerson),
                    DefaultReminderPolicy(p.event.id), ten_days_before);
  // 09:30 CET is 08:30Z on the 26th; 09:30 CEST is 07:30Z on the 27th and 28th.
  ASSERT_EQ(plan.size(), 5u);
  EXPECT_EQ(plan[0].reminder_id, "event-P7D");
  EXPECT_EQ(plan[0].due, Utc(2022, 3, 19, 8, 30));
  EXPECT_EQ(plan[1].reminder_id, "event-P1D");
  EXPECT_EQ(plan[1].due, Utc(2022, 3, 25, 8, 30));
  EXPECT_EQ(plan[2].reminder_id, "event-PT1H");
  EXPECT_EQ(plan[2].due, Utc(2022, 3, 26, 7, 30));
  EXPECT_EQ(plan[3].reminder_id, "day-2022-03-27-PT1H");
  EXPECT_EQ(plan[3].due, Utc(2022, 3, 27, 6, 30));
  EXPECT_EQ(plan[3].session_title, "Day 2");
  EXPECT_EQ(plan[4].reminder_id, "day-2022-03-28-PT1H");
  EXPECT_EQ(plan[4].due, Utc(2022, 3, 28, 6, 30));
  for (const PlannedReminder& r : plan) {
    EXPECT_EQ(r.starts - r.offset, r.due);
    EXPECT_EQ(r.mode, AttendanceMode::kInPerson);
  }
}

TEST(ReminderPlanner, ADayEndsWithItsLastSessionOrTheClosingHourNotAtMidnight) {
  // Sessions on the 26th and 28th only; the 27th (the clocks change that
  // night) has none and closes at the event's closing hour, 17:30 CEST.
  Event e = TrainingAcrossTheClockChange();
  e.sessions.erase(e.sessions.begin() + 1);
  e.sessions[0].end_local = absl::CivilSecond(2022, 3, 26, 12, 30, 0);
  e.sessions.push_back(testing_util::MakeSession(
      "Study visit", absl::CivilSecond(2022, 3, 26, 14, 0, 0), absl::CivilSecond(2022, 3, 26, 17, 0, 0)));
  e.sessions[1].end_local = absl::CivilSecond(2022, 3, 28, 13, 0, 0);
  Prepared p = Prepare(e);
  EXPECT_EQ(DayEnd(p.event, p.zone, absl::CivilDay(2022, 3, 26)), Utc(2022, 3, 26, 16, 0));
  EXPECT_EQ(DayStart(p.event, p.zone, absl::CivilDay(2022, 3, 27)), Utc(2022, 3, 27, 7, 30));
  EXPECT_EQ(DayEnd(p.event, p.zone, absl::CivilDay(2022, 3, 27)), Utc(2022, 3, 27, 15, 30));
  EXPECT_EQ(DayEnd(p.event, p.zone, absl::CivilDay(2022, 3, 28)), Utc(2022, 3, 28, 11, 0));
}

TEST(ReminderPlanner, AnOvernightEventWithoutSessionsKeepsItsMiddleDaysToMidnight) {
  Event e = TrainingAcrossTheClockChange();
  e.sessions.clear();
  e.start_local = absl::CivilSecond(2022, 3, 26, 20, 0, 0);
  e.end_local = absl::CivilSecond(2022, 3, 28, 2, 0, 0);
  Prepared p = Prepare(e);
  EXPECT_EQ(DayEnd(p.event, p.zone, absl::CivilDay(2022, 3, 26)), Utc(2022, 3, 26, 23, 0));
  EXPECT_EQ(DayEnd(p.event, p.zone, absl::CivilDay(2022, 3, 27)), Utc(2022, 3, 27, 22, 0));
}

TEST(ReminderPlanner, ADayWithoutSessionsNeverStartsAfterTheEventHasEnded) {
  // A webinar from 20:00 on the 26th to 10:00 on the 27th: its second day
  // runs from 00:00 to 10:00, so it cannot begin at 20:00 (the opening hour),
  // when the event is over; reminders and notices would name that hour.
  Event e = TrainingAcrossTheClockChange();
  e.sessions.clear();
  e.start_local = absl::CivilSecond(2022, 3, 26, 20, 0, 0);
  e.end_local = absl::CivilSecond(2022, 3, 27, 10, 0, 0);
  Prepared p = Prepare(e);
  EXPECT_EQ(DayStart(p.event, p.zone, absl::CivilDay(2022, 3, 26)), Utc(2022, 3, 26, 19, 0));
  EXPECT_EQ(DayStart(p.event, p.zone, absl::CivilDay(2022, 3, 27)), Utc(2022, 3, 26, 23, 0));
  EXPECT_EQ(DayEnd(p.event, p.zone, absl::CivilDay(2022, 3, 27)), Utc(2022, 3, 27, 8, 0));
  std::vector<PlannedReminder> plan =
      PlanReminders(p.event, p.zone, AllDays(p.event, AttendanceMode::kOnline),
                    DefaultReminderPolicy(p.event.id), Utc(2022, 3, 1, 0, 0));
  for (const PlannedReminder& r : plan) EXPECT_LT(r.due, p.event.end) << r.reminder_id;
}

TEST(ReminderPlanner, ADayTheStartWasMovedIntoBeginsWithTheEvent) {
  // Clocks go from 23:30 straight to 00:30 (2022-03-15T23:30Z). 23:45 on the
  // 15th read before the jump (LATER) is 23:45Z, 00:45 on the 16th: the
  // event's only day is the 16th and it opens then, not at 01:00 (midnight
  // read past the jump), 15 minutes after the event began.
  absl::StatusOr<Zone> zone = MakeTransitionTableZone(
      "Test/Straddle", {absl::ZeroDuration(), false, "A"},
      {{Utc(2022, 3, 15, 23, 30), {absl::Hours(1), true, "B"}}});
  ASSERT_TRUE(zone.ok()) << zone.status();
  Event e = TrainingAcrossTheClockChange();
  e.time_zone = "Test/Straddle";
  e.sessions.clear();
  e.start_local = absl::CivilSecond(2022, 3, 15, 23, 45, 0);
  e.end_local = absl::CivilSecond(2022, 3, 16, 10, 0, 0);
  e.local_time_policy = LocalTimePolicy::kLater;
  ASSERT_TRUE(PrepareEvent(e, *zone).ok());
  ASSERT_EQ(e.start, Utc(2022, 3, 15, 23, 45));
  EXPECT_EQ(DayStart(e, *zone, absl::CivilDay(2022, 3, 16)), e.start);
  ReminderPolicy policy;
  policy.before_event = {absl::Hours(1)};
  std::vector<PlannedReminder> plan = PlanReminders(
      e, *zone, AllDays(e, AttendanceMode::kOnline), policy, Utc(2022, 3, 1, 0, 0));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].day, absl::CivilDay(2022, 3, 16));
  EXPECT_EQ(plan[0].due, Utc(2022, 3, 15, 22, 45));
}

TEST(ReminderPlanner, AnOnlineDayRunsFromTheFirstToTheLastSessionOnlineParticipantsCanJoin) {
  // Delta, day 2 of the Thessaloniki workshop: a guided tour in the room
  // 09:00-11:00, the hybrid session 11:30-13:00, a second tour 14:30-17:30.
  // A partner following online is reminded of 11:30 and holds 11:30-13:00;
  // one in the room of 09:00-17:30.
  Event e = TrainingAcrossTheClockChange();
  e.time_zone = "Europe/Athens";
  e.start_local = absl::CivilSecond(2022, 3, 16, 9, 0, 0);
  e.end_local = absl::CivilSecond(2022, 3, 16, 17, 30, 0);
  e.sessions = {
      testing_util::MakeSession("Guided tour", absl::CivilSecond(2022, 3, 16, 9, 0, 0),
                                absl::CivilSecond(2022, 3, 16, 11, 0, 0), EventFormat::kInPerson),
      testing_util::MakeSession("Local action plan", absl::CivilSecond(2022, 3, 16, 11, 30, 0),
                                absl::CivilSecond(2022, 3, 16, 13, 0, 0)),
      testing_util::MakeSession("Second tour", absl::CivilSecond(2022, 3, 16, 14, 30, 0),
                                absl::CivilSecond(2022, 3, 16, 17, 30, 0), EventFormat::kInPerson),
  };
  Prepared p = Prepare(e);
  const absl::CivilDay day(2022, 3, 16);
  EXPECT_EQ(DayStart(p.event, p.zone, day, AttendanceMode::kOnline), Utc(2022, 3, 16, 9, 30));
  EXPECT_EQ(DayEnd(p.event, p.zone, day, AttendanceMode::kOnline), Utc(2022, 3, 16, 11, 0));
  EXPECT_EQ(DayStart(p.event, p.zone, day, AttendanceMode::kInPerson), Utc(2022, 3, 16, 7, 0));
  EXPECT_EQ(DayEnd(p.event, p.zone, day, AttendanceMode::kInPerson), Utc(2022, 3, 16, 15, 30));
  ReminderPolicy policy = DefaultReminderPolicy(p.event.id);
  policy.before_event.clear();
  policy.before_each_day = {absl::Hours(1)};
  std::vector<PlannedReminder> plan = PlanReminders(
      p.event, p.zone, AllDays(p.event, AttendanceMode::kOnline), policy, Utc(2022, 3, 1, 0, 0));
  ASSERT_EQ(plan.size(), 1u);
  EXPECT_EQ(plan[0].due, Utc(2022, 3, 16, 8, 30));
  EXPECT_EQ(plan[0].session_title, "Local action plan");
}

TEST(ReminderPlanner, OneDayBeforeASessionAfterTheChangeIs24RealHours) {
  Prepared p = Prepare(TrainingAcrossTheClockChange());
  ReminderPolicy policy = DefaultReminderPolicy(p.event.id);
  policy.before_event.clear();
  policy.before_each_day = {absl::Hours(24)};
  std::vector<PlannedReminder> plan =
      PlanReminders(p.event, p.zone, AllDays(p.event, AttendanceMode::kOnline),
                    policy, Utc(2022, 3, 1, 0, 0));
  ASSERT_EQ(plan.size(), 3u);
  // Day 2 (09:30 CEST = 07:30Z) is reminded at 07:30Z on the 26th, which is
  // 08:30 CET on the wall clock: the reminder keeps the interval, the
  // session keeps its local hour.
  EXPECT_EQ(plan[1].due, Utc(2022, 3, 26, 7, 30));
  EXPECT_EQ(plan[2].due, Utc(2022, 3, 27, 7, 30));
}

TEST(ReminderPlanner, SkipsRemindersAlreadyDue) {
  Prepared p = Prepare(TrainingAcrossTheClockChange());
  // Registered 3 hours before the start: only the 1-hour reminders remain.
  std::vector<PlannedReminder> plan =
      PlanReminders(p.event, p.zone, AllDays(p.event, AttendanceMode::kInPerson),
                    DefaultReminderPolicy(p.event.id), Utc(2022, 3, 26, 5, 30));
  EXPECT_THAT(plan, ElementsAre(Field(&PlannedReminder::reminder_id, "event-PT1H"),
                                Field(&PlannedReminder::reminder_id, "day-2022-03-27-PT1H"),
                                Field(&PlannedReminder::reminder_id, "day-2022-03-28-PT1H")));
  // Exactly at the due instant is too late as well.
  plan = PlanReminders(p.event, p.zone, AllDays(p.event, AttendanceMode::kInPerson),
                       DefaultReminderPolicy(p.event.id), Utc(2022, 3, 26, 7, 30));
  EXPECT_EQ(plan.size(), 2u);
}

TEST(ReminderPlanner, FollowsTheModeOfEachDayAndSkipsWaitlistedDays) {
  Prepared p = Prepare(testing_util::ConnectionCalendar()[testing_util::kThessalonikiWorkshop]);
  Registration r;
  r.days = {{absl::CivilDay(2022, 3, 15), AttendanceMode::kInPerson, RegistrationStatus::kWaitlisted, 1},
            {absl::CivilDay(2022, 3, 16), AttendanceMode::kOnline, RegistrationStatus::kConfirmed, 0},
            {absl::CivilDay(2022, 3, 17), AttendanceMode::kInPerson, RegistrationStatus::kConfirmed, 0}};
  ReminderPolicy policy = DefaultReminderPolicy(p.event.id);
  policy.before_event = {absl::Hours(24)};
  std::vector<PlannedReminder> plan =
      PlanReminders(p.event, p.zone, r, policy, Utc(2022, 3, 1, 0, 0));
  // Before-event reminders are about the first confirmed day, the 16th
  // (09:00 in Athens = 07:00Z), online.
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].reminder_id, "event-P1D");
  EXPECT_EQ(plan[0].day, absl::CivilDay(2022, 3, 16));
  EXPECT_EQ(plan[0].due, Utc(2022, 3, 15, 7, 0));
  EXPECT_EQ(plan[0].mode, AttendanceMode::kOnline);
  EXPECT_EQ(plan[1].reminder_id, "day-2022-03-16-PT1H");
  EXPECT_EQ(plan[1].mode, AttendanceMode::kOnline);
  EXPECT_EQ(plan[2].reminder_id, "day-2022-03-17-PT1H");
  EXPECT_EQ(plan[2].mode, AttendanceMode::kInPerson);
}

// A registration that attendance already carried along with a move keeps,
// cancelled, a day on a date the event lost before; with as many days as
// the event has, it must not be taken for a copy still on the old dates
// (reminder_model_test.py ReminderPlanModelTest found it: the days held
// were reminded of a day late, and the last day, not held, as well).
TEST(ReminderPlanner, ACancelledDayOnALostDateDoesNotShiftTheDaysHeld) {
  Prepared p = Prepare(TrainingAcrossTheClockChange());  // 26, 27, 28 March
  Registration r;
  r.days = {{absl::CivilDay(2022, 3, 20), AttendanceMode::kInPerson, RegistrationStatus::kCancelled, 0},
            {absl::CivilDay(2022, 3, 26), AttendanceMode::kOnline, RegistrationStatus::kConfirmed, 0},
            {absl::CivilDay(2022, 3, 27), AttendanceMode::kInPerson, RegistrationStatus::kConfirmed, 0}};
  ReminderPolicy policy = DefaultReminderPolicy(p.event.id);
  policy.before_event = {absl::Hours(48)};
  policy.before_each_day = {absl::Hours(2)};
  std::vector<PlannedReminder> plan =
      PlanReminders(p.event, p.zone, r, policy, Utc(2022, 3, 1, 0, 0));
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].reminder_id, "event-P2D");
  EXPECT_EQ(plan[0].day, absl::CivilDay(2022, 3, 26));
  EXPECT_EQ(plan[0].due, Utc(2022, 3, 24, 8, 30));
  EXPECT_EQ(plan[1].reminder_id, "day-2022-03-26-PT2H");
  EXPECT_EQ(plan[1].mode, AttendanceMode::kOnline);
  EXPECT_EQ(plan[2].reminder_id, "day-2022-03-27-PT2H");
  EXPECT_EQ(plan[2].mode, AttendanceMode::kInPerson);
  EXPECT_EQ(plan[2].due, Utc(2022, 3, 27, 5, 30));
}

// A copy still on the old dates (the calendar's move read before
// attendance's entry for the registration) is read on the new ones, day i
// on day i.
TEST(ReminderPlanner, ACopyWhollyOnTheOldDatesIsReadOnTheNewOnes) {
  Prepared p = Prepare(TrainingAcrossTheClockChange());  // 26, 27, 28 March
  Registration r;
  r.days = {{absl::CivilDay(2022, 3, 19), AttendanceMode::kInPerson, RegistrationStatus::kConfirmed, 0},
            {absl::CivilDay(2022, 3, 20), AttendanceMode::kOnline, RegistrationStatus::kConfirmed, 0},
            {absl::CivilDay(2022, 3, 21), AttendanceMode::kInPerson, RegistrationStatus::kCancelled, 0}};
  ReminderPolicy policy = DefaultReminderPolicy(p.event.id);
  policy.before_event = {absl::Hours(48)};
  policy.before_each_day = {absl::Hours(2)};
  std::vector<PlannedReminder> plan =
      PlanReminders(p.event, p.zone, r, policy, Utc(2022, 3, 1, 0, 0));
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].reminder_id, "event-P2D");
  EXPECT_EQ(plan[1].reminder_id, "day-2022-03-26-PT2H");
  EXPECT_EQ(plan[1].mode, AttendanceMode::kInPerson);
  EXPECT_EQ(plan[2].reminder_id, "day-2022-03-27-PT2H");
  EXPECT_EQ(plan[2].mode, AttendanceMode::kOnline);
}

TEST(ReminderPlanner, CancelledEventsAndRegistrationsGetNoReminders) {
  Prepared p = Prepare(TrainingAcrossTheClockChange());
  Registration r = AllDays(p.event, AttendanceMode::kInPerson);
  Event cancelled = p.event;
  cancelled.status = EventStatus::kCancelled;
  EXPECT_THAT(PlanReminders(cancelled, p.zone, r, DefaultReminderPolicy(p.event.id),
                            Utc(2022, 3, 1, 0, 0)),
              IsEmpty());
  for (RegistrationDay& d : r.days) d.status = RegistrationStatus::kCancelled;
  EXPECT_THAT(PlanReminders(p.event, p.zone, r, DefaultReminderPolicy(p.event.id),
                            Utc(2022, 3, 1, 0, 0)),
              IsEmpty());
  EXPECT_FALSE(PlanCancellationNotice(cancelled, p.zone, r, Utc(2022, 3, 1, 0, 0)));
}

TEST(ReminderPlanner, OneCancellationNoticeDueNowUntilTheEventHasEnded) {
  Prepared p = Prepare(TrainingAcrossTheClockChange());
  Registration r = AllDays(p.event, AttendanceMode::kOnline);
  std::optional<PlannedReminder> notice =
      PlanCancellationNotice(p.event, p.zone, r, Utc(2022, 3, 20, 0, 0));
  ASSERT_TRUE(notice.has_value());
  EXPECT_EQ(notice->reminder_id, "cancelled");
  EXPECT_EQ(notice->due, Utc(2022, 3, 20, 0, 0));
  EXPECT_EQ(notice->starts, Utc(2022, 3, 26, 8, 30));
  EXPECT_FALSE(PlanCancellationNotice(p.event, p.zone, r, Utc(2022, 3, 29, 0, 0)));
}

TEST(ReminderPolicy, RejectsAbsurdOffsetsNamingTheField) {
  ReminderPolicy policy = DefaultReminderPolicy("ev_1");
  EXPECT_TRUE(ValidateReminderPolicy(policy).ok());
  policy.before_event = {absl::Hours(1), -absl::Hours(2)};
  EXPECT_EQ(ValidateReminderPolicy(policy).message(),
            "policy.before_event[1]: must be more than 0 and at most 90 days "
            "before, got -PT2H");
  policy.before_event = {absl::Hours(24 * 91)};
  EXPECT_EQ(ValidateReminderPolicy(policy).code(), absl::StatusCode::kInvalidArgument);
  policy.before_event = {absl::ZeroDuration()};
  EXPECT_EQ(ValidateReminderPolicy(policy).code(), absl::StatusCode::kInvalidArgument);
  policy.before_event = {absl::Hours(1), absl::Minutes(60)};
  EXPECT_EQ(ValidateReminderPolicy(policy).message(),
            "policy.before_event[1]: PT1H is listed twice");
  policy.before_event.assign(11, absl::Hours(1));
  EXPECT_EQ(ValidateReminderPolicy(policy).message(),
            "policy.before_event: at most 10 offsets, got 11");
  policy = DefaultReminderPolicy("");
  EXPECT_EQ(ValidateReminderPolicy(policy).message(), "policy.event_id: is required");
}

}  // namespace
}  // namespace convene::core
