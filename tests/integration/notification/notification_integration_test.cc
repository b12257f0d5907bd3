// Reminder planning from the change streams and dispatch under leases,
// against a real, private redis-server, on events the calendar created and
// registrations the attendance service made. Time is a fake clock.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <atomic>
#include <thread>

#include "absl/strings/match.h"

#include "attendance/attendance_app.h"
#include "calendar/calendar_app.h"
#include "convene/v1/calendar.pb.h"
#include "core/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "notification/change_follower.h"
#include "notification/notification_app.h"
#include "notification/reminder_dispatcher.h"
#include "notification/reminder_replanner.h"
#include "rpc/proto_time.h"
#include "attendance/sheet_follower.h"
#include "attendance/attendance_store.h"
#include "notification/event_copy_store.h"
#include "notification/outbox_reader.h"
#include "calendar/calendar_store.h"
#include "attendance/event_sheet_store.h"
#include "storage/keys.h"
#include "storage/planner_feed.h"
#include "storage/redis_address.h"
#include "storage/redis_sync_client.h"
#include "notification/registration_copy_store.h"
#include "notification/reminder_store.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_snapshot.h"
#include "testing_util/redis_test.h"

namespace convene::notification {
namespace {

using ::testing::HasSubstr;
using testing_util::Await;

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

core::ParticipantInfo Partner(const std::string& id, const std::string& zone,
                              const std::string& language) {
  return {id, "Partner " + id, id + "@example.org", "City", "Torino", "IT", zone, language};
}

// A three-day Brussels training across the last Sunday of March 2022
// (clocks go 02:00 CET -> 03:00 CEST on the 27th), 09:30 local each day.
core::Event Training() {
  core::Event e;
  e.title = "Training of integration trainers";
  e.city = "Brussels";
  e.time_zone = "Europe/Brussels";
  e.format = core::EventFormat::kHybrid;
  e.start_local = absl::CivilSecond(2022, 3, 26, 9, 30, 0);
  e.end_local = absl::CivilSecond(2022, 3, 28, 17, 30, 0);
  e.venue = {"Brussels City Hall", "Grand-Place 1, 1000 Brussels", "Brussels", 2};
  e.online = {"Zoom", "https://meet.example.org/training", 0};
  for (int d = 26; d <= 28; ++d) {
    e.sessions.push_back(testing_util::MakeSession(
        absl::StrCat("Day ", d - 25), absl::CivilSecond(2022, 3, d, 9, 30, 0),
        absl::CivilSecond(2022, 3, d, 17, 30, 0)));
  }
  return e;
}

class NotificationTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    storage::RedisClientOptions options;
    options.address = *storage::RedisAddress::Parse(redis_address());
    redis_ = *storage::RedisClient::Start(options);
    feed_redis_ = *storage::RedisSyncClient::Start(options);
    calendar_store_ = std::make_unique<storage::CalendarStore>(*redis_);
    sheets_ = std::make_unique<storage::EventSheetStore>(*redis_);
    calendar_ = std::make_unique<calendar::CalendarApp>(*calendar_store_, clock_);
    attendance_store_ = std::make_unique<storage::AttendanceStore>(*redis_);
    reminders_ = std::make_unique<storage::ReminderStore>(*redis_);
    builder_ = std::make_unique<attendance::SheetBuilder>(*redis_, *sheets_);
    sheet_feed_redis_ = *storage::RedisSyncClient::Start(options);
    sheet_follower_ = std::make_unique<attendance::SheetFollower>(
        *sheet_feed_redis_, *redis_, *builder_, clock_,
        attendance::SheetFollowerOptions{.owner = "test"});
    attendance_ = std::make_unique<attendance::AttendanceApp>(*attendance_store_, clock_,
                                                              builder_.get());
    event_copies_ = std::make_unique<storage::EventCopyStore>(*redis_);
    events_ = std::make_unique<EventReader>(*event_copies_, *redis_);
    registration_store_ = std::make_unique<storage::RegistrationCopyStore>(*redis_);
    registrations_ = std::make_unique<RegistrationCopies>(*registration_store_);
    planning_ = std::make_unique<ReminderReplanner>(*events_, *registrations_, *reminders_,
                                                   clock_, notice_delay_);
    feed_ = std::make_unique<storage::PlannerFeed>(*feed_redis_, ReminderPlannerFollowKeys());
    follower_ = std::make_unique<ChangeFollower>(*feed_, *events_, *registrations_, *planning_,
                                                 clock_,
                                                 ChangeFollowerOptions{.owner = "test"});
    dispatcher_ = std::make_unique<ReminderDispatcher>(*reminders_, clock_,
                                                       DispatcherOptions{.owner = "d1"});
    app_ = std::make_unique<NotificationApp>(*events_, *reminders_, *planning_,
                                             *dispatcher_, clock_);
  }

  std::string CreateEvent(core::Event e, const std::string& request_id) {
    absl::StatusOr<core::Event> made = Await<core::Event>(
        [&](auto done) { calendar_->CreateEvent(request_id, e, std::move(done)); });
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? made->id : "";
  }
  void Register(const std::string& event, const std::string& pid,
                core::AttendanceMode mode, const std::string& zone = "Europe/Rome",
                const std::string& language = "it") {
    absl::StatusOr<core::Registration> r = Await<core::Registration>([&](auto done) {
      attendance_->Register(event, "r-" + pid, Partner(pid, zone, language), mode, {},
                            std::move(done));
    });
    ASSERT_TRUE(r.ok()) << r.status();
  }
  // The training's three days start at 11:00 instead of 09:30.
  void StartDaysAtEleven(const std::string& event) {
    v1::Event patch;
    patch.set_id(event);
    patch.set_start_local("2022-03-26T11:00");
    for (const char* d : {"2022-03-26", "2022-03-27", "2022-03-28"}) {
      v1::Session* s = patch.add_sessions();
      s->set_title(absl::StrCat("Day ", d));
      s->set_start_local(absl::StrCat(d, "T11:00"));
      s->set_end_local(absl::StrCat(d, "T17:30"));
    }
    ASSERT_TRUE(Await<core::Event>([&](auto done) {
                  calendar_->UpdateEvent(patch, {"start_local", "sessions"}, 1, std::move(done));
                }).ok());
  }
  // What the services' followers do: attendance takes calendar changes into
  // its sheets, then the planner follows both streams.
  void Follow() {
    absl::StatusOr<int> sheets = sheet_follower_->ProcessAvailable();
    ASSERT_TRUE(sheets.ok()) << sheets.status();
    absl::StatusOr<int> n = follower_->ProcessAvailable();
    ASSERT_TRUE(n.ok()) << n.status();
  }
  std::vector<v1::ScheduledReminder> Scheduled(const std::string& event,
                                               const std::string& participant = "") {
    auto page = Await<NotificationApp::Page<v1::ScheduledReminder>>([&](auto done) {
      app_->ListScheduledReminders(event, participant, 1000, "", std::move(done));
    });
    EXPECT_TRUE(page.ok()) << page.status();
    return page.ok() ? page->items : std::vector<v1::ScheduledReminder>{};
  }
  absl::StatusOr<NotificationApp::Page<v1::Notification>> Notifications(
      const std::string& event, int page_size) {
    return Await<NotificationApp::Page<v1::Notification>>([&](auto done) {
      app_->ListNotifications(event, v1::NOTIFICATION_STATE_UNSPECIFIED, page_size, "",
                              std::move(done));
    });
  }
  absl::StatusOr<core::ReminderPolicy> Policy(const std::string& event) {
    return Await<core::ReminderPolicy>(
        [&](auto done) { app_->GetReminderPolicy(event, std::move(done)); });
  }
  static std::vector<absl::Time> DueTimes(const std::vector<v1::ScheduledReminder>& rs) {
    std::vector<absl::Time> out;
    for (const auto& r : rs) out.push_back(rpc::TimeFromProto(r.due_time()));
    return out;
  }
  int64_t OutboxLength() {
    storage::RedisSyncClient sync(*redis_);
    return *sync.Command({"XLEN", storage::keys::ReminderShard(0).Outbox()})->as_integer();
  }

  // Ten days before the training.
  core::FakeClock clock_{Utc(2022, 3, 16, 10, 0)};
  // These tests are about reminders: no registration notices (NoticeTest
  // turns them on).
  absl::Duration notice_delay_ = absl::InfiniteDuration();
  std::unique_ptr<storage::RedisClient> redis_;
  std::unique_ptr<storage::RedisSyncClient> feed_redis_;
  std::unique_ptr<storage::CalendarStore> calendar_store_;
  std::unique_ptr<storage::EventSheetStore> sheets_;
  std::unique_ptr<attendance::SheetBuilder> builder_;
  std::unique_ptr<storage::RedisSyncClient> sheet_feed_redis_;
  std::unique_ptr<attendance::SheetFollower> sheet_follower_;
  std::unique_ptr<calendar::CalendarApp> calendar_;
  std::unique_ptr<storage::EventCopyStore> event_copies_;
  std::unique_ptr<EventReader> events_;
  std::unique_ptr<storage::AttendanceStore> attendance_store_;
  std::unique_ptr<attendance::AttendanceApp> attendance_;
  std::unique_ptr<storage::ReminderStore> reminders_;
  std::unique_ptr<storage::RegistrationCopyStore> registration_store_;
  std::unique_ptr<RegistrationCopies> registrations_;
  std::unique_ptr<ReminderReplanner> planning_;
  std::unique_ptr<storage::PlannerFeed> feed_;
  std::unique_ptr<ChangeFollower> follower_;
  std::unique_ptr<ReminderDispatcher> dispatcher_;
  std::unique_ptr<NotificationApp> app_;
};

TEST_F(NotificationTest, RegistrationTenDaysBeforeGetsRemindersAtTheRightInstants) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson);
  Follow();
  std::vector<v1::ScheduledReminder> rs = Scheduled(event);
  // 09:30 CET = 08:30Z on Saturday the 26th; 09:30 CEST = 07:30Z after the
  // change on Sunday the 27th.
  EXPECT_THAT(DueTimes(rs),
              ::testing::ElementsAre(Utc(2022, 3, 19, 8, 30), Utc(2022, 3, 25, 8, 30),
                                     Utc(2022, 3, 26, 7, 30), Utc(2022, 3, 27, 6, 30),
                                     Utc(2022, 3, 28, 6, 30)));
  ASSERT_EQ(rs.size(), 5u);
  EXPECT_EQ(rs[1].kind(), v1::REMINDER_KIND_BEFORE_EVENT);
  EXPECT_EQ(rpc::DurationFromProto(rs[1].offset()), absl::Hours(24));
  EXPECT_EQ(rs[3].kind(), v1::REMINDER_KIND_BEFORE_DAY);
  EXPECT_EQ(rs[3].day(), "2022-03-27");
  EXPECT_EQ(rs[0].time_zone(), "Europe/Rome");
  EXPECT_EQ(rs[0].language(), "it");
  EXPECT_THAT(rs[0].due_local(), HasSubstr("2022-03-19T09:30"));

  // Planning again (a change processed twice) changes nothing.
  ASSERT_TRUE(planning_->PlanEvent(event).ok());
  EXPECT_EQ(Scheduled(event).size(), 5u);
}

TEST_F(NotificationTest, LaterHoursOnTheSameDaysMoveTheReminders) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson);
  Follow();
  StartDaysAtEleven(event);
  Follow();
  // 11:00 CET = 10:00Z; 11:00 CEST = 09:00Z.
  EXPECT_THAT(DueTimes(Scheduled(event)),
              ::testing::ElementsAre(Utc(2022, 3, 19, 10, 0), Utc(2022, 3, 25, 10, 0),
                                     Utc(2022, 3, 26, 9, 0), Utc(2022, 3, 27, 8, 0),
                                     Utc(2022, 3, 28, 8, 0)));
}

// Notification plans from its own copy of each registration, taken from the
// attendance stream: with every attendance key of the event gone, a moved
// event still moves the participant's reminders, in their language.
TEST_F(NotificationTest, PlansFromItsOwnCopyOfTheRegistration) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson, "Europe/Rome", "it");
  Follow();
  storage::RedisSyncClient sync(*redis_);
  absl::StatusOr<storage::RedisReply> copy =
      sync.Command({"HGET", storage::keys::NotificationRegistrations(event), "torino-1"});
  ASSERT_TRUE(copy.ok() && !copy->is_nil());
  EXPECT_THAT(copy->text(), HasSubstr("torino-1@example.org"));
  EXPECT_THAT(copy->text(), HasSubstr("Europe/Rome"));

  absl::StatusOr<storage::RedisReply> theirs =
      sync.Command({"KEYS", absl::StrCat("cv:", storage::keys::EventTag(event), ":*")});
  ASSERT_TRUE(theirs.ok());
  ASSERT_FALSE(theirs->elements().empty());
  for (const storage::RedisReply& key : theirs->elements()) {
    ASSERT_TRUE(sync.Command({"DEL", key.text()}).ok());
  }
  StartDaysAtEleven(event);
  Follow();
  std::vector<v1::ScheduledReminder> rs = Scheduled(event, "torino-1");
  EXPECT_THAT(DueTimes(rs),
              ::testing::ElementsAre(Utc(2022, 3, 19, 10, 0), Utc(2022, 3, 25, 10, 0),
                                     Utc(2022, 3, 26, 9, 0), Utc(2022, 3, 27, 8, 0),
                                     Utc(2022, 3, 28, 8, 0)));
  ASSERT_FALSE(rs.empty());
  EXPECT_EQ(rs[0].language(), "it");
  EXPECT_EQ(rs[0].time_zone(), "Europe/Rome");
}

// The copy follows every change in the stream's order: waitlisted, then
// promoted when a seat frees, then a mode change.
TEST_F(NotificationTest, TheCopyFollowsWaitlistPromotionAndModeChanges) {
  core::Event small = Training();
  small.venue.in_person_capacity = 1;
  const std::string event = CreateEvent(small, "training");
  Register(event, "a", core::AttendanceMode::kInPerson);
  Register(event, "b", core::AttendanceMode::kInPerson, "Europe/Athens", "el");  // waitlisted
  Follow();
  EXPECT_TRUE(Scheduled(event, "b").empty());
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->CancelRegistration(event, "cancel-a", "a", {}, "", std::move(done));
              }).ok());
  Follow();
  std::vector<v1::ScheduledReminder> promoted = Scheduled(event, "b");
  ASSERT_EQ(promoted.size(), 5u);
  EXPECT_EQ(promoted[0].time_zone(), "Europe/Athens");
  EXPECT_EQ(promoted[0].mode(), v1::ATTENDANCE_MODE_IN_PERSON);
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->ChangeMode(event, "m-b", "b", core::AttendanceMode::kOnline, {},
                                        std::move(done));
              }).ok());
  Follow();
  std::vector<v1::ScheduledReminder> online = Scheduled(event, "b");
  ASSERT_EQ(online.size(), 5u);
  EXPECT_EQ(online[0].mode(), v1::ATTENDANCE_MODE_ONLINE);
  EXPECT_EQ(online[0].language(), "el");
}

// The follower applies one batch's registrations several at once
// (FanOut): sixty registrations, cancellations that promote from the
// waitlist, mode changes and an erasure, all followed in one batch, leave
// each participant planned as attendance holds them: five reminders for a
// confirmed place, in its mode, none for a waitlisted, cancelled or erased
// one.
TEST_F(NotificationTest, OneBatchOfManyChangesPlansEachRegistrationAsAttendanceHoldsIt) {
  core::Event training = Training();
  training.venue.in_person_capacity = 40;
  const std::string event = CreateEvent(training, "training");
  std::vector<std::string> pids;
  for (int i = 0; i < 60; ++i) {
    pids.push_back(absl::StrCat("p", i));
    Register(event, pids.back(), core::AttendanceMode::kInPerson);
  }
  for (int i : {3, 11, 17, 29, 38}) {  // each promotes the next waiting
    ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                  attendance_->CancelRegistration(event, absl::StrCat("cancel-", i), pids[i], {},
                                                  "", std::move(done));
                }).ok());
  }
  for (int i : {0, 5, 41}) {  // 41 was promoted: online from now on
    ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                  attendance_->ChangeMode(event, absl::StrCat("mode-", i), pids[i],
                                          core::AttendanceMode::kOnline, {}, std::move(done));
                }).ok());
  }
  ASSERT_TRUE(Await<attendance::AttendanceApp::ForgetOutcome>([&](auto done) {
                attendance_->ForgetParticipant(event, pids[7], "forget-7", "erasure request",
                                               std::move(done));
              }).ok());
  Follow();

  std::vector<bool> placed_at(60, false);
  for (int i = 0; i < 60; ++i) {
    absl::StatusOr<core::Registration> held = Await<core::Registration>(
        [&](auto done) { attendance_->GetRegistration(event, pids[i], std::move(done)); });
    ASSERT_TRUE(held.ok()) << pids[i] << ": " << held.status();
    const bool placed = !held->forgotten && held->status == core::RegistrationStatus::kConfirmed;
    placed_at[i] = placed;
    const std::vector<v1::ScheduledReminder> planned = Scheduled(event, pids[i]);
    ASSERT_EQ(planned.size(), placed ? 5u : 0u) << pids[i];
    if (!placed) continue;
    const bool online = i == 0 || i == 5 || i == 41;
    EXPECT_EQ(planned[0].mode(),
              online ? v1::ATTENDANCE_MODE_ONLINE : v1::ATTENDANCE_MODE_IN_PERSON)
        << pids[i];
  }
  // The batch held every path: promoted from the waitlist, still waiting,
  // cancelled, erased.
  EXPECT_TRUE(placed_at[40]);
  EXPECT_FALSE(placed_at[59]);
  EXPECT_FALSE(placed_at[3]);
  EXPECT_FALSE(placed_at[7]);
}

// A registration made before notification kept copies has none: its
// changes keep what was planned (no copy to plan from, nothing to take
// away) until `convene-admin resheet` fills the copy.
TEST_F(NotificationTest, AChangeOfARegistrationWithoutACopyKeepsItsPlan) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson);
  Follow();
  ASSERT_EQ(Scheduled(event, "torino-1").size(), 5u);
  storage::RedisSyncClient sync(*redis_);
  ASSERT_TRUE(
      sync.Command({"DEL", storage::keys::NotificationRegistrations(event)}).ok());
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->ChangeMode(event, "m1", "torino-1", core::AttendanceMode::kOnline,
                                        {}, std::move(done));
              }).ok());
  Follow();
  std::vector<v1::ScheduledReminder> kept = Scheduled(event, "torino-1");
  ASSERT_EQ(kept.size(), 5u);
  EXPECT_EQ(kept[0].mode(), v1::ATTENDANCE_MODE_IN_PERSON);
  absl::StatusOr<storage::RedisReply> copies =
      sync.Command({"HLEN", storage::keys::NotificationRegistrations(event)});
  ASSERT_TRUE(copies.ok());
  EXPECT_EQ(copies->as_integer().value_or(-1), 0);
}

TEST_F(NotificationTest, ReschedulingMovesTheReminders) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kOnline);
  Follow();
  ASSERT_EQ(Scheduled(event).size(), 5u);
  // One week later, same local hours (both after the change: +02:00).
  v1::Event patch;
  patch.set_id(event);
  patch.set_start_local("2022-04-02T09:30");
  patch.set_end_local("2022-04-04T17:30");
  const char* days[] = {"2022-04-02", "2022-04-03", "2022-04-04"};
  for (const char* d : days) {
    v1::Session* s = patch.add_sessions();
    s->set_title(absl::StrCat("Day ", d));
    s->set_start_local(absl::StrCat(d, "T09:30"));
    s->set_end_local(absl::StrCat(d, "T17:30"));
  }
  absl::StatusOr<core::Event> moved = Await<core::Event>([&](auto done) {
    calendar_->UpdateEvent(patch, {"start_local", "end_local", "sessions"}, 1, std::move(done));
  });
  ASSERT_TRUE(moved.ok()) << moved.status();
  Follow();
  EXPECT_THAT(DueTimes(Scheduled(event)),
              ::testing::ElementsAre(Utc(2022, 3, 26, 7, 30), Utc(2022, 4, 1, 7, 30),
                                     Utc(2022, 4, 2, 6, 30), Utc(2022, 4, 3, 6, 30),
                                     Utc(2022, 4, 4, 6, 30)));
}

TEST_F(NotificationTest, CancellingDropsRemindersAndQueuesOneNotice) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson, "Europe/Rome", "en");
  Register(event, "athens-1", core::AttendanceMode::kOnline, "Europe/Athens", "el");
  Follow();
  ASSERT_EQ(Scheduled(event).size(), 10u);
  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                calendar_->CancelEvent(event, "venue closed", 0, std::move(done));
              }).ok());
  Follow();
  std::vector<v1::ScheduledReminder> left = Scheduled(event);
  ASSERT_EQ(left.size(), 2u);  // one notice each, due now
  EXPECT_EQ(rpc::TimeFromProto(left[0].due_time()), clock_.Now());
  absl::StatusOr<DispatchRun> run = app_->RunDueReminders(0);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->dispatched, 2);
  EXPECT_EQ(run->remaining_due, 0);
  auto sent = Notifications(event, 100);
  ASSERT_TRUE(sent.ok());
  ASSERT_EQ(sent->items.size(), 2u);
  for (const v1::Notification& n : sent->items) {
    EXPECT_EQ(n.kind(), v1::NOTIFICATION_KIND_CANCELLATION_NOTICE);
    EXPECT_EQ(n.state(), v1::NOTIFICATION_STATE_PENDING);
  }
  // Processing the same changes again plans no second notice.
  ASSERT_TRUE(planning_->PlanEvent(event).ok());
  EXPECT_EQ(app_->RunDueReminders(0)->dispatched, 0);
  EXPECT_EQ(OutboxLength(), 2);
  EXPECT_TRUE(Scheduled(event).empty());
}

TEST_F(NotificationTest, PromotionFromTheWaitlistAddsReminders) {
  const std::string event = CreateEvent(Training(), "training");  // 2 seats
  Register(event, "a", core::AttendanceMode::kInPerson);
  Register(event, "b", core::AttendanceMode::kInPerson);
  Register(event, "c", core::AttendanceMode::kInPerson);  // waitlisted
  Follow();
  EXPECT_TRUE(Scheduled(event, "c").empty());
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->CancelRegistration(event, "cancel-a", "a", {}, "", std::move(done));
              }).ok());
  Follow();
  EXPECT_TRUE(Scheduled(event, "a").empty());
  EXPECT_EQ(Scheduled(event, "c").size(), 5u);
}

TEST_F(NotificationTest, ModeChangeReRendersWithTheJoinLink) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson, "Europe/Rome", "en");
  Follow();
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->ChangeMode(event, "m1", "torino-1", core::AttendanceMode::kOnline,
                                        {}, std::move(done));
              }).ok());
  Follow();
  clock_.SetNow(Utc(2022, 3, 19, 8, 30));
  ASSERT_EQ(app_->RunDueReminders(0)->dispatched, 1);
  auto sent = Notifications(event, 10);
  ASSERT_EQ(sent->items.size(), 1u);
  EXPECT_EQ(sent->items[0].mode(), v1::ATTENDANCE_MODE_ONLINE);
  EXPECT_THAT(sent->items[0].body(), HasSubstr("https://meet.example.org/training"));
  EXPECT_EQ(sent->items[0].idempotency_key(),
            absl::StrCat(event, "/torino-1/event-P7D/r1"));
}

TEST_F(NotificationTest, BadPoliciesAreRefusedAndChangeNothing) {
  const std::string event = CreateEvent(Training(), "training");
  core::ReminderPolicy policy = core::DefaultReminderPolicy(event);
  policy.before_event = {-absl::Hours(1)};
  EXPECT_EQ(app_->SetReminderPolicy(policy).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(Policy(event)->is_default);
  policy = core::DefaultReminderPolicy("ev_nope");
  EXPECT_EQ(app_->SetReminderPolicy(policy).status().code(), absl::StatusCode::kNotFound);
  // A good one re-plans at once.
  Register(event, "torino-1", core::AttendanceMode::kInPerson);
  Follow();
  policy = core::DefaultReminderPolicy(event);
  policy.before_event = {absl::Hours(48)};
  policy.before_each_day = {};
  ASSERT_TRUE(app_->SetReminderPolicy(policy).ok());
  EXPECT_THAT(DueTimes(Scheduled(event)), ::testing::ElementsAre(Utc(2022, 3, 24, 8, 30)));
  EXPECT_FALSE(Policy(event)->is_default);
}

// Script calls (the dispatcher's claims among them) Redis has run so far.
int64_t ScriptCalls(storage::RedisSyncClient& sync) {
  absl::StatusOr<storage::RedisReply> info = sync.Command({"INFO", "commandstats"});
  if (!info.ok()) return -1;
  const std::string text = info->text();
  int64_t calls = 0;
  for (const std::string stat : {"cmdstat_evalsha:calls=", "cmdstat_fcall:calls="}) {
    const size_t at = text.find(stat);
    if (at != std::string::npos) calls += std::stoll(text.substr(at + stat.size()));
  }
  return calls;
}

// The dispatcher's loop waits on the injected clock: under a FakeClock it
// claims once and then waits for the test to move time (no real-time
// polling), and moving time past a due instant is what makes it dispatch.
TEST_F(NotificationTest, TheDispatcherLoopWaitsOnTheInjectedClock) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson, "Europe/Rome", "en");
  Follow();
  storage::RedisSyncClient sync(*redis_);
  const int64_t before = ScriptCalls(sync);
  dispatcher_->Start();
  absl::SleepFor(absl::Milliseconds(600));  // six real poll intervals
  const int64_t idle = ScriptCalls(sync) - before;
  EXPECT_GE(idle, 1);  // the first round
  EXPECT_LE(idle, 2) << "the loop polled in real time";
  EXPECT_TRUE(Notifications(event, 10)
                  ->items.empty());
  // Seven days before the training: the first reminder is due.
  clock_.SetNow(Utc(2022, 3, 19, 8, 30));
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  size_t sent = 0;
  while (sent == 0 && absl::Now() < give_up) {
    sent = Notifications(event, 10)
               ->items.size();
    if (sent == 0) absl::SleepFor(absl::Milliseconds(20));
  }
  dispatcher_->Stop();
  EXPECT_EQ(sent, 1u);
}

TEST_F(NotificationTest, ForgettingAParticipantLeavesNothingOfThemInRedis) {
  const std::string event = CreateEvent(Training(), "training");
  core::ParticipantInfo ana = Partner("zagreb-ana", "Europe/Zagreb", "en");
  ana.display_name = "Ana Kovač";
  ana.email = "ana.kovac@example.org";
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->Register(event, "r-ana", ana, core::AttendanceMode::kOnline, {},
                                      std::move(done));
              }).ok());
  Register(event, "torino-1", core::AttendanceMode::kOnline);
  Follow();
  // One reminder each is sent (the 7-day one), the others are pending.
  clock_.SetNow(Utc(2022, 3, 19, 8, 30));
  ASSERT_EQ(app_->RunDueReminders(0)->dispatched, 2);
  storage::RedisSyncClient sync(*redis_);
  ASSERT_THAT(testing_util::RedisKeyspaceText(sync), HasSubstr("ana.kovac@"));
  const std::string ana_sent = storage::keys::ReminderShard(0).Sent(event, "zagreb-ana");
  ASSERT_EQ(sync.Command({"EXISTS", ana_sent})->as_integer().value_or(-1), 1);

  absl::StatusOr<attendance::AttendanceApp::ForgetOutcome> forgot =
      Await<attendance::AttendanceApp::ForgetOutcome>([&](auto done) {
        attendance_->ForgetParticipant("", "zagreb-ana", "f1", "erasure request",
                                       std::move(done));
      });
  ASSERT_TRUE(forgot.ok()) << forgot.status();
  EXPECT_EQ(forgot->erased_now, 1);
  // Attendance erased its own data; the reminders and the sent text are
  // notification's, erased when it reads the PARTICIPANT_FORGOTTEN entry.
  EXPECT_THAT(testing_util::RedisKeyspaceText(sync), HasSubstr("ana.kovac@"));
  EXPECT_EQ(Scheduled(event, "zagreb-ana").size(), 4u);
  Follow();
  const std::string everything = testing_util::RedisKeyspaceText(sync);
  EXPECT_THAT(everything, ::testing::Not(HasSubstr("ana.kovac@")));
  EXPECT_THAT(everything, ::testing::Not(HasSubstr("Kova")));
  // Nor which of their reminders went out.
  EXPECT_EQ(sync.Command({"EXISTS", ana_sent})->as_integer().value_or(-1), 0);
  // The other participant is untouched, and replaying the streams plans
  // nothing for the erased one.
  EXPECT_THAT(everything, HasSubstr("torino-1@example.org"));
  ASSERT_TRUE(planning_->PlanEvent(event).ok());
  EXPECT_TRUE(Scheduled(event, "zagreb-ana").empty());
  EXPECT_EQ(Scheduled(event, "torino-1").size(), 4u);
}

// 10,000 due reminders planned straight into the store, as the planner
// would, each with its own idempotency key.
void PlanDue(storage::ReminderStore& store, int count, absl::Time due) {
  for (int batch = 0; batch < count / 100; ++batch) {
    for (int i = 0; i < 100; ++i) {
      const std::string pid = absl::StrCat("p", batch * 100 + i);
      v1::Notification n;
      n.set_event_id("ev_load");
      n.set_participant_id(pid);
      n.set_reminder_id("event-PT1H");
      n.set_idempotency_key(absl::StrCat("ev_load/", pid, "/event-PT1H/r1"));
      n.set_subject("Reminder");
      std::vector<storage::PendingReminder> plan = {
          {storage::ReminderStore::ReminderKey("ev_load", pid, "event-PT1H"),
           absl::ToUnixMillis(due), n.SerializeAsString()}};
      ASSERT_TRUE(Await<int>([&](auto done) {
                    store.ReplacePlan("ev_load", pid, std::move(plan), absl::InfinitePast(),
                                      std::move(done));
                  }).ok());
    }
  }
}

std::multiset<std::string> OutboxIds(storage::RedisClient& redis) {
  storage::RedisSyncClient sync(redis);
  absl::StatusOr<storage::RedisReply> all =
      sync.Command({"XRANGE", storage::keys::ReminderShard(0).Outbox(), "-", "+"});
  std::multiset<std::string> ids;
  for (const auto& entry : all->elements()) {
    auto fields = entry.elements()[1].elements();
    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (*fields[i].as_string() == "n") ids.insert(std::string(*fields[i + 1].as_string()));
    }
  }
  return ids;
}

TEST_F(NotificationTest, TwoDispatchersDeliverTenThousandRemindersExactlyOnce) {
  PlanDue(*reminders_, 10000, clock_.Now() - absl::Minutes(1));
  storage::RedisClientOptions options;
  options.address = *storage::RedisAddress::Parse(redis_address());
  auto redis_b = *storage::RedisClient::Start(options);
  storage::ReminderStore store_b(*redis_b);
  ReminderDispatcher a(*reminders_, clock_, {.owner = "a", .batch = 250});
  ReminderDispatcher b(store_b, clock_, {.owner = "b", .batch = 250});
  absl::StatusOr<DispatchRun> run_a, run_b;
  std::thread ta([&] { run_a = a.RunDue(100000); });
  std::thread tb([&] { run_b = b.RunDue(100000); });
  ta.join();
  tb.join();
  ASSERT_TRUE(run_a.ok()) << run_a.status();
  ASSERT_TRUE(run_b.ok()) << run_b.status();
  EXPECT_EQ(run_a->dispatched + run_b->dispatched, 10000);
  EXPECT_GT(run_a->dispatched, 0);
  EXPECT_GT(run_b->dispatched, 0);
  std::multiset<std::string> ids = OutboxIds(*redis_);
  EXPECT_EQ(ids.size(), 10000u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 10000u);
}

TEST_F(NotificationTest, RemindersClaimedByADeadDispatcherAreDeliveredAfterItsLease) {
  PlanDue(*reminders_, 1000, clock_.Now() - absl::Minutes(1));
  // "dead" claims a batch and never completes it.
  absl::StatusOr<std::vector<storage::ClaimedReminder>> taken =
      Await<std::vector<storage::ClaimedReminder>>([&](auto done) {
        reminders_->Claim(0, "dead", clock_.Now(), absl::Seconds(30), 300, std::move(done));
      });
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 300u);
  ReminderDispatcher live(*reminders_, clock_, {.owner = "live", .lease = absl::Seconds(30)});
  EXPECT_EQ(live.RunDue(100000)->dispatched, 700);
  // Before the lease runs out nothing more is taken...
  clock_.Advance(absl::Seconds(29));
  EXPECT_EQ(live.RunDue(100000)->dispatched, 0);
  // ...after it, the live one delivers the rest.
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(live.RunDue(100000)->dispatched, 300);
  std::multiset<std::string> ids = OutboxIds(*redis_);
  EXPECT_EQ(ids.size(), 1000u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), 1000u);
  // The dead one, coming back late, cannot complete what it lost.
  std::vector<storage::DeliveredReminder> late;
  for (const auto& c : *taken) {
    late.push_back({c.key, c.key + "/r1", "ev_load", "p", c.record});
  }
  absl::StatusOr<storage::CompleteOutcome> outcome =
      Await<storage::CompleteOutcome>([&](auto done) {
        reminders_->Complete(0, "dead", clock_.Now(), std::move(late), std::move(done));
      });
  ASSERT_TRUE(outcome.ok());
  EXPECT_EQ(outcome->completed, 0);
  EXPECT_EQ(outcome->skipped, 300);
  EXPECT_EQ(OutboxLength(), 1000);
}

// Issue 18: reminders partitioned into shards by event. Forty events'
// reminders land each in its event's shard, two dispatchers deliver every
// one exactly once into that shard's outbox, an outbox reader takes them
// from every shard, and erasure and the shard count cover every shard.
TEST_F(NotificationTest, RemindersOfFourShardsAreDeliveredOnceEachInTheirEventsShard) {
  constexpr int kShards = 4, kEvents = 40, kPeople = 25;
  storage::ReminderStore sharded(*redis_, kShards);
  ASSERT_TRUE(Await<bool>([&](auto done) { sharded.VerifyShardCount(std::move(done)); }).ok());
  std::vector<int64_t> expected_due(kShards, 0);
  for (int e = 0; e < kEvents; ++e) {
    const std::string event = absl::StrCat("ev_shard", e);
    expected_due[sharded.ShardOf(event)] += kPeople;
    for (int p = 0; p < kPeople; ++p) {
      const std::string pid = absl::StrCat("p", p);
      v1::Notification n;
      n.set_event_id(event);
      n.set_participant_id(pid);
      n.set_reminder_id("event-PT1H");
      n.set_idempotency_key(absl::StrCat(event, "/", pid, "/event-PT1H/r1"));
      n.set_subject(absl::StrCat("Reminder for ", pid, "@example.org"));
      std::vector<storage::PendingReminder> plan = {
          {storage::ReminderStore::ReminderKey(event, pid, "event-PT1H"),
           absl::ToUnixMillis(clock_.Now() - absl::Minutes(1)), n.SerializeAsString()}};
      ASSERT_TRUE(Await<int>([&](auto done) {
                    sharded.ReplacePlan(event, pid, std::move(plan), absl::InfinitePast(),
                                        std::move(done));
                  }).ok());
    }
  }
  storage::RedisSyncClient sync(*redis_);
  int used = 0;
  for (int k = 0; k < kShards; ++k) {
    EXPECT_EQ(*sync.Command({"ZCARD", storage::keys::ReminderShard(k).DueReminders()})
                   ->as_integer(),
              expected_due[k])
        << "shard " << k;
    used += expected_due[k] > 0;
  }
  EXPECT_GE(used, 3) << "forty events should spread over the shards";
  EXPECT_EQ(*Await<int64_t>([&](auto done) { sharded.CountDue(clock_.Now(), std::move(done)); }),
            kEvents * kPeople);

  storage::RedisClientOptions options;
  options.address = *storage::RedisAddress::Parse(redis_address());
  auto redis_b = *storage::RedisClient::Start(options);
  storage::ReminderStore sharded_b(*redis_b, kShards);
  ReminderDispatcher a(sharded, clock_, {.owner = "a", .batch = 50});
  ReminderDispatcher b(sharded_b, clock_, {.owner = "b", .batch = 50});
  absl::StatusOr<DispatchRun> run_a, run_b;
  std::thread ta([&] { run_a = a.RunDue(100000); });
  std::thread tb([&] { run_b = b.RunDue(100000); });
  ta.join();
  tb.join();
  ASSERT_TRUE(run_a.ok()) << run_a.status();
  ASSERT_TRUE(run_b.ok()) << run_b.status();
  EXPECT_EQ(run_a->dispatched + run_b->dispatched, kEvents * kPeople);
  EXPECT_EQ(run_b->remaining_due, 0);

  // Every notification is in the outbox of its event's shard, once.
  storage::OutboxReader reader(sync, kShards);
  std::vector<storage::OutboxEntry> read;
  while (true) {
    absl::StatusOr<std::vector<storage::OutboxEntry>> got =
        reader.ReadNew("mailer", "m1", 300, absl::ZeroDuration());
    ASSERT_TRUE(got.ok()) << got.status();
    if (got->empty()) break;
    read.insert(read.end(), got->begin(), got->end());
  }
  std::set<std::string> ids;
  for (const storage::OutboxEntry& e : read) {
    ids.insert(e.notification_id);
    EXPECT_EQ(e.shard, sharded.ShardOf(e.event_id)) << e.notification_id;
    EXPECT_TRUE(absl::StartsWith(e.notification_id, e.event_id + "/")) << e.notification_id;
  }
  EXPECT_EQ(read.size(), static_cast<size_t>(kEvents * kPeople));
  EXPECT_EQ(ids.size(), static_cast<size_t>(kEvents * kPeople));
  // Unacknowledged, they come back to a claim; skipped, they do not.
  absl::StatusOr<std::vector<storage::OutboxEntry>> idle =
      reader.ClaimIdle("mailer", "m2", absl::ZeroDuration(), 2000);
  ASSERT_TRUE(idle.ok());
  EXPECT_EQ(idle->size(), static_cast<size_t>(kEvents * kPeople));
  ASSERT_TRUE(reader.Skip("mailer", *idle).ok());
  EXPECT_TRUE(reader.ClaimIdle("mailer", "m2", absl::ZeroDuration(), 2000)->empty());

  // An event's notifications and one notification are found in its shard.
  absl::StatusOr<std::vector<storage::StoredNotification>> listed =
      Await<std::vector<storage::StoredNotification>>([&](auto done) {
        sharded.ListNotifications("ev_shard7", 0, 100, std::move(done));
      });
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), static_cast<size_t>(kPeople));
  EXPECT_TRUE(Await<storage::StoredNotification>([&](auto done) {
                sharded.GetNotification("ev_shard13/p4/event-PT1H/r1", std::move(done));
              }).ok());

  // Erasing a participant everywhere reaches every shard.
  absl::StatusOr<storage::ReminderStore::Erased> erased =
      Await<storage::ReminderStore::Erased>(
          [&](auto done) { sharded.ForgetParticipant("p3", "", std::move(done)); });
  ASSERT_TRUE(erased.ok());
  EXPECT_EQ(erased->notifications, kEvents);
  const std::string everything = testing_util::RedisKeyspaceText(sync);
  EXPECT_THAT(everything, ::testing::Not(HasSubstr("for p3@example.org")));
  EXPECT_THAT(everything, HasSubstr("for p4@example.org"));

  // A replica with another shard count is refused, naming the flag.
  storage::ReminderStore other(*redis_, 2);
  absl::StatusOr<bool> refused =
      Await<bool>([&](auto done) { other.VerifyShardCount(std::move(done)); });
  EXPECT_TRUE(absl::IsFailedPrecondition(refused.status())) << refused.status();
  EXPECT_THAT(refused.status().message(), HasSubstr("--reminder_shards=4"));
}


// Issue 20: registration notices, planned from the same streams as the
// reminders, each sent once the notice delay has passed.
class NoticeTest : public NotificationTest {
 protected:
  void SetUp() override {
    notice_delay_ = absl::Seconds(30);
    NotificationTest::SetUp();
  }
  // Dispatches what is due after the delay; the notices sent, by participant.
  std::map<std::string, std::vector<v1::Notification>> SendNotices(const std::string& event) {
    clock_.Advance(absl::Seconds(31));
    absl::StatusOr<DispatchRun> run = app_->RunDueReminders(0);
    EXPECT_TRUE(run.ok()) << run.status();
    std::map<std::string, std::vector<v1::Notification>> by_person;
    auto sent = Notifications(event, 1000);
    EXPECT_TRUE(sent.ok());
    for (v1::Notification& n : sent->items) {
      if (n.kind() == v1::NOTIFICATION_KIND_REMINDER) continue;
      if (seen_.insert(n.notification_id()).second) {
        by_person[n.participant_id()].push_back(std::move(n));
      }
    }
    return by_person;
  }
  void Cancel(const std::string& event, const std::string& pid, const std::string& request) {
    ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                  attendance_->CancelRegistration(event, request, pid, {}, "", std::move(done));
                }).ok());
  }
  std::set<std::string> seen_;
};

TEST_F(NoticeTest, RegisteringSendsOneConfirmationOrWaitlistNoticeAfterTheDelay) {
  const std::string event = CreateEvent(Training(), "training");  // 2 seats in the room
  Register(event, "a", core::AttendanceMode::kInPerson, "Europe/Rome", "it");
  Register(event, "b", core::AttendanceMode::kInPerson, "Europe/Athens", "el");
  Register(event, "c", core::AttendanceMode::kInPerson, "Europe/Brussels", "en");  // waitlisted
  Follow();
  // Nothing before the delay: a change undone meanwhile would send none.
  EXPECT_EQ(app_->RunDueReminders(0)->dispatched, 0);
  auto sent = SendNotices(event);
  ASSERT_EQ(sent["a"].size(), 1u);
  ASSERT_EQ(sent["c"].size(), 1u);
  EXPECT_EQ(sent["a"][0].kind(), v1::NOTIFICATION_KIND_REGISTRATION_CONFIRMED);
  EXPECT_EQ(sent["b"][0].kind(), v1::NOTIFICATION_KIND_REGISTRATION_CONFIRMED);
  EXPECT_EQ(sent["c"][0].kind(), v1::NOTIFICATION_KIND_WAITLISTED);
  EXPECT_EQ(sent["a"][0].language(), "it");
  EXPECT_THAT(sent["a"][0].subject(), HasSubstr("Iscrizione confermata"));
  EXPECT_THAT(sent["b"][0].subject(), HasSubstr("Επιβεβαίωση εγγραφής"));
  // The waiting list's place, per day, as a number.
  EXPECT_THAT(sent["c"][0].body(), HasSubstr("waiting list (in person), place 1"));
  // The venue's time and the participant's own (Athens is an hour ahead).
  EXPECT_THAT(sent["b"][0].body(), HasSubstr("09:30"));
  EXPECT_THAT(sent["b"][0].body(), HasSubstr("10:30"));
  // Once told, re-planning sends nothing more.
  ASSERT_TRUE(planning_->PlanEvent(event).ok());
  ASSERT_TRUE(planning_->PlanRegistration(event, "a").ok());
  EXPECT_TRUE(SendNotices(event).empty());
}

TEST_F(NoticeTest, ACancellationPromotesTheNextAndTellsBoth) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "a", core::AttendanceMode::kInPerson);
  Register(event, "b", core::AttendanceMode::kInPerson);
  Register(event, "c", core::AttendanceMode::kInPerson, "Europe/Amsterdam", "nl");
  Follow();
  SendNotices(event);
  Cancel(event, "a", "cancel-a");
  Follow();
  auto sent = SendNotices(event);
  ASSERT_EQ(sent.size(), 2u);
  ASSERT_EQ(sent["a"].size(), 1u);
  ASSERT_EQ(sent["c"].size(), 1u);
  EXPECT_EQ(sent["a"][0].kind(), v1::NOTIFICATION_KIND_REGISTRATION_CANCELLED);
  EXPECT_EQ(sent["c"][0].kind(), v1::NOTIFICATION_KIND_PROMOTED);
  EXPECT_THAT(sent["c"][0].subject(), HasSubstr("Een plaats voor u"));
}

TEST_F(NoticeTest, AChangeUndoneBeforeItsNoticeSendsNoneAndABurstSendsOne) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "a", core::AttendanceMode::kInPerson);
  Follow();
  SendNotices(event);
  // Online, then back in the room, before the notice went out: nothing.
  for (auto [request, mode] : {std::pair{"m1", core::AttendanceMode::kOnline},
                               std::pair{"m2", core::AttendanceMode::kInPerson}}) {
    ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                  attendance_->ChangeMode(event, request, "a", mode, {}, std::move(done));
                }).ok());
    Follow();
  }
  EXPECT_TRUE(SendNotices(event).empty());
  // Online, then cancelled, then registered again online: one notice that
  // says where it ended (a mode change), not three.
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->ChangeMode(event, "m3", "a", core::AttendanceMode::kOnline, {},
                                        std::move(done));
              }).ok());
  Follow();
  auto sent = SendNotices(event);
  ASSERT_EQ(sent["a"].size(), 1u);
  EXPECT_EQ(sent["a"][0].kind(), v1::NOTIFICATION_KIND_MODE_CHANGED);
  EXPECT_THAT(sent["a"][0].body(), HasSubstr("https://meet.example.org/training"));
}

TEST_F(NoticeTest, MovingTheEventTellsTheOldAndTheNewTimeInTheParticipantsZone) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "a", core::AttendanceMode::kInPerson, "America/New_York", "en");
  Follow();
  SendNotices(event);
  StartDaysAtEleven(event);
  Follow();
  auto sent = SendNotices(event);
  ASSERT_EQ(sent["a"].size(), 1u);
  const v1::Notification& n = sent["a"][0];
  EXPECT_EQ(n.kind(), v1::NOTIFICATION_KIND_RESCHEDULED);
  // 09:30 and 11:00 in Brussels are 04:30 and 06:00 in New York (CET, EDT).
  EXPECT_THAT(n.body(), HasSubstr("Before: 26 March 2022, 09:30 in Brussels (04:30 your time"));
  EXPECT_THAT(n.body(), HasSubstr("Now: 26 March 2022, 11:00 in Brussels (06:00 your time"));
}

TEST_F(NoticeTest, AnEventChangeBeforeTheFirstNoticeWentOutKeepsItUpToDate) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "a", core::AttendanceMode::kInPerson, "Europe/Brussels", "en");
  Follow();  // the confirmation is pending
  StartDaysAtEleven(event);
  Follow();
  auto sent = SendNotices(event);
  ASSERT_EQ(sent["a"].size(), 1u);
  EXPECT_EQ(sent["a"][0].kind(), v1::NOTIFICATION_KIND_REGISTRATION_CONFIRMED);
  EXPECT_THAT(sent["a"][0].body(), HasSubstr("26 March 2022, 11:00 in Brussels"));
  EXPECT_THAT(sent["a"][0].body(), ::testing::Not(HasSubstr("09:30")));
}

// Found by the README's run-command test: the demo sets a policy right
// after registering, and the event's re-plan (from SetReminderPolicy, on a
// handler thread) could see a new registration's copy before the follower
// planned it, take it for one from before notices and tell it nothing.
TEST_F(NoticeTest, AnEventReplanRacingWithNewRegistrationsKeepsEveryFirstNotice) {
  const std::string event = CreateEvent(Training(), "training");  // 2 seats in the room
  constexpr int kPeople = 24;
  for (int i = 0; i < kPeople; ++i) {
    Register(event, absl::StrCat("p", i), core::AttendanceMode::kInPerson);
  }
  ASSERT_TRUE(sheet_follower_->ProcessAvailable().ok());
  std::atomic<bool> followed{false};
  std::atomic<int> replans{0};
  std::thread policy_setter([&] {
    while (!followed.load()) {
      if (planning_->PlanEvent(event).ok()) replans.fetch_add(1);
    }
  });
  absl::StatusOr<int> n = follower_->ProcessAvailable();
  followed.store(true);
  policy_setter.join();
  ASSERT_TRUE(n.ok()) << n.status();
  ASSERT_GT(replans.load(), 0);
  auto sent = SendNotices(event);
  EXPECT_EQ(sent.size(), static_cast<size_t>(kPeople)) << replans.load() << " event re-plans ran alongside";
  EXPECT_EQ(sent["p0"].at(0).kind(), v1::NOTIFICATION_KIND_REGISTRATION_CONFIRMED);
  EXPECT_EQ(sent["p9"].at(0).kind(), v1::NOTIFICATION_KIND_WAITLISTED);
}

TEST_F(NoticeTest, ARegistrationFromBeforeNoticesIsNotAnnouncedByAnEventChange) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "a", core::AttendanceMode::kInPerson);
  // Planned only through the event (as after an upgrade): what it is
  // becomes what it was told, silently.
  ASSERT_TRUE(sheet_follower_->ProcessAvailable().ok());
  storage::RedisSyncClient sync(*redis_);
  ASSERT_TRUE(follower_->ProcessAvailable().ok());
  // The follower planned the registration change itself: one confirmation.
  auto sent = SendNotices(event);
  EXPECT_EQ(sent["a"].size(), 1u);
  // A second registration whose told state is dropped (as if made before
  // notices): an event change does not announce it.
  Register(event, "b", core::AttendanceMode::kInPerson);
  Follow();
  ASSERT_TRUE(sync.Command({"HDEL", storage::keys::ReminderShard(0).Told(),
                            absl::StrCat(event, "/b")}).ok());
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->ChangeMode(event, "m1", "a", core::AttendanceMode::kOnline, {},
                                        std::move(done));
              }).ok());
  ASSERT_TRUE(planning_->PlanEvent(event).ok());
  sent = SendNotices(event);
  EXPECT_EQ(sent.count("b"), 0u);
}
}  // namespace
}  // namespace convene::notification

namespace convene::notification {
namespace {

// Issue 15 finding 5: re-planning left out reminders whose due time had
// passed, and the plan script then deleted them though they were not sent.

TEST_F(NotificationTest, AnEditAfterTheDueTimeKeepsTheDueRemindersForTheReminderJob) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson);
  Follow();
  ASSERT_EQ(Scheduled(event).size(), 5u);
  // One second after the first reminder's due instant, before any
  // RunDueReminders, the organiser edits only the description.
  clock_.SetNow(Utc(2022, 3, 19, 8, 30) + absl::Seconds(1));
  v1::Event patch;
  patch.set_id(event);
  patch.set_description("Bring your laptop.");
  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                calendar_->UpdateEvent(patch, {"description"}, 1, std::move(done));
              }).ok());
  Follow();
  EXPECT_EQ(Scheduled(event).size(), 5u);
  absl::StatusOr<DispatchRun> run = app_->RunDueReminders(0);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ(run->dispatched, 1);
  // Sent once: planning again later does not bring it back.
  ASSERT_TRUE(planning_->PlanEvent(event).ok());
  EXPECT_EQ(Scheduled(event).size(), 4u);
  EXPECT_EQ(app_->RunDueReminders(0)->dispatched, 0);
  EXPECT_EQ(OutboxLength(), 1);
}

// Audit finding 2: a reminder already sent was planned again when a move
// put its due instant back in the future, and went out a second time under
// the new revision's idempotency key.
TEST_F(NotificationTest, MovingTheEventAfterAReminderWentOutDoesNotSendItAgain) {
  const std::string event = CreateEvent(Training(), "training");
  Register(event, "torino-1", core::AttendanceMode::kInPerson);
  Follow();
  // The 7-day reminder goes out.
  clock_.SetNow(Utc(2022, 3, 19, 8, 30) + absl::Seconds(1));
  ASSERT_EQ(app_->RunDueReminders(0)->dispatched, 1);
  // The organiser moves the training a week later: the 7-day reminder's
  // instant (2022-03-26 07:30Z) is in the future again.
  v1::Event patch;
  patch.set_id(event);
  patch.set_start_local("2022-04-02T09:30");
  patch.set_end_local("2022-04-04T17:30");
  for (const char* d : {"2022-04-02", "2022-04-03", "2022-04-04"}) {
    v1::Session* s = patch.add_sessions();
    s->set_title(absl::StrCat("Day ", d));
    s->set_start_local(absl::StrCat(d, "T09:30"));
    s->set_end_local(absl::StrCat(d, "T17:30"));
  }
  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                calendar_->UpdateEvent(patch, {"start_local", "end_local", "sessions"}, 1,
                                       std::move(done));
              }).ok());
  Follow();
  // The other reminders move; the one sent is not planned again.
  std::vector<v1::ScheduledReminder> left = Scheduled(event);
  for (const v1::ScheduledReminder& r : left) EXPECT_NE(r.reminder_id(), "event-P7D");
  EXPECT_THAT(DueTimes(left),
              ::testing::ElementsAre(Utc(2022, 4, 1, 7, 30), Utc(2022, 4, 2, 6, 30),
                                     Utc(2022, 4, 3, 6, 30), Utc(2022, 4, 4, 6, 30)));
  clock_.SetNow(Utc(2022, 3, 26, 7, 30) + absl::Seconds(1));
  EXPECT_EQ(app_->RunDueReminders(0)->dispatched, 0);
  std::map<std::string, int> per_key;
  for (const std::string& id : OutboxIds(*redis_)) ++per_key[id.substr(0, id.rfind("/r"))];
  for (const auto& [key, n] : per_key) EXPECT_EQ(n, 1) << key << " went out " << n << " times";
  EXPECT_EQ(OutboxLength(), 1);
}

TEST_F(NotificationTest, AnEditWhileADeadDispatcherHoldsTheBatchLosesNothing) {
  const std::string event = CreateEvent(Training(), "training");
  for (int i = 0; i < 5; ++i) {
    Register(event, absl::StrCat("p", i), core::AttendanceMode::kOnline);
  }
  Follow();
  clock_.SetNow(Utc(2022, 3, 19, 8, 30) + absl::Seconds(1));
  // A dispatcher claims the five due reminders and dies.
  absl::StatusOr<std::vector<storage::ClaimedReminder>> taken =
      Await<std::vector<storage::ClaimedReminder>>([&](auto done) {
        reminders_->Claim(0, "dead", clock_.Now(), absl::Seconds(30), 100, std::move(done));
      });
  ASSERT_TRUE(taken.ok());
  ASSERT_EQ(taken->size(), 5u);
  // Within its lease, an edit re-plans every registration.
  v1::Event patch;
  patch.set_id(event);
  patch.set_description("Room changed to B2.");
  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                calendar_->UpdateEvent(patch, {"description"}, 1, std::move(done));
              }).ok());
  Follow();
  // Not handed out twice while leased...
  EXPECT_EQ(app_->RunDueReminders(0)->dispatched, 0);
  // ...and delivered, re-rendered, once the lease runs out.
  clock_.Advance(absl::Seconds(31));
  EXPECT_EQ(app_->RunDueReminders(0)->dispatched, 5);
  EXPECT_EQ(OutboxLength(), 5);
}

}  // namespace
}  // namespace convene::notification
