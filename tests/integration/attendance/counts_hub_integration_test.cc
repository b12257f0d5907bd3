// The hub behind WatchAttendanceCounts (attendance/counts_watch.h), driven
// without gRPC against a real, private redis-server: a change is read once
// for every watcher of the event, and each watcher gets the days it asked
// for, also while another watcher of that event asks for more than one
// answer holds.
#include "attendance/counts_watch.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "attendance/attendance_app.h"
#include "attendance/attendance_store.h"
#include "attendance/event_sheet_store.h"
#include "attendance/registration_mapping.h"
#include "attendance/sheet_builder.h"
#include "calendar/calendar_app.h"
#include "calendar/calendar_store.h"
#include "core/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_test.h"

namespace convene::attendance {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_util::Await;

// A watcher as CountsWatcher is, minus the stream: it keeps what it would
// have sent (its own days of what the hub read) or why it would have ended.
class RecordingSink : public CountsSink {
 public:
  explicit RecordingSink(std::vector<std::string> days) : days_(std::move(days)) {}
  const std::vector<std::string>& days() const override { return days_; }
  void Deliver(
      const absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>>& counts) override {
    absl::MutexLock lock(&mu_);
    if (ended_) return;
    absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>> asked =
        counts.ok() ? CountsForDays(*counts, days_, /*check_days=*/false) : counts.status();
    if (!asked.ok()) {
      ended_ = asked.status();
      return;
    }
    received_.push_back(**asked);
  }
  void Close() override {
    absl::MutexLock lock(&mu_);
    ended_ = absl::UnavailableError("closed");
  }

  // Waits (up to 10 s) until it received something or ended.
  bool Await() {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(
        absl::Condition(
            +[](RecordingSink* s) ABSL_NO_THREAD_SAFETY_ANALYSIS {
              return !s->received_.empty() || s->ended_.has_value();
            },
            this),
        absl::Seconds(10));
  }
  std::vector<v1::AttendanceCounts> received() {
    absl::MutexLock lock(&mu_);
    return received_;
  }
  std::optional<absl::Status> ended() {
    absl::MutexLock lock(&mu_);
    return ended_;
  }

 private:
  const std::vector<std::string> days_;
  absl::Mutex mu_;
  std::vector<v1::AttendanceCounts> received_ ABSL_GUARDED_BY(mu_);
  std::optional<absl::Status> ended_ ABSL_GUARDED_BY(mu_);
};

class CountsHubTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    options_.address = *storage::RedisAddress::Parse(redis_address());
    redis_ = *storage::RedisClient::Start(options_);
    calendar_store_ = std::make_unique<storage::CalendarStore>(*redis_);
    sheets_ = std::make_unique<storage::EventSheetStore>(*redis_);
    builder_ = std::make_unique<SheetBuilder>(*redis_, *sheets_);
    calendar_ = std::make_unique<calendar::CalendarApp>(*calendar_store_, clock_);
    store_ = std::make_unique<storage::AttendanceStore>(*redis_);
    app_ = std::make_unique<AttendanceApp>(*store_, clock_, builder_.get());
    absl::StatusOr<std::unique_ptr<CountsHub>> hub = CountsHub::Start(options_);
    ASSERT_TRUE(hub.ok()) << hub.status();
    hub_ = *std::move(hub);
    hub_->ReadFrom(*app_, clock_);
  }
  void TearDown() override { hub_.reset(); }

  std::string CreateEvent(core::Event e, const std::string& request_id) {
    absl::StatusOr<core::Event> made = Await<core::Event>(
        [&](auto done) { calendar_->CreateEvent(request_id, e, std::move(done)); });
    EXPECT_TRUE(made.ok()) << made.status();
    if (!made.ok()) return "";
    absl::StatusOr<bool> found =
        Await<bool>([&](auto done) { builder_->CatchUp(made->id, std::move(done)); });
    EXPECT_TRUE(found.ok() && *found) << found.status();
    return made->id;
  }
  absl::Status RegisterOnline(const std::string& event, const std::string& id,
                              const std::string& city, const std::string& organisation) {
    core::ParticipantInfo p{id, "Partner " + id, id + "@example.org", organisation, city,
                            "BE", "", ""};
    return Await<core::Registration>([&](auto done) {
             app_->Register(event, "reg-" + id, p, core::AttendanceMode::kOnline, {},
                            std::move(done));
           }).status();
  }
  // Waits until the hub's subscription delivers changes (it subscribes in
  // the background): registrations to an event of their own until a
  // watcher of it hears one.
  void AwaitSubscribed() {
    const std::string event = CreateEvent(
        testing_util::ConnectionCalendar()[testing_util::kThessalonikiWorkshop], "probe");
    ASSERT_FALSE(event.empty());
    RecordingSink probe({});
    hub_->Add(event, &probe);
    for (int i = 0; i < 50 && probe.received().empty(); ++i) {
      ASSERT_TRUE(RegisterOnline(event, "probe-" + std::to_string(i), "Gent", "").ok());
      absl::SleepFor(absl::Milliseconds(100));
    }
    hub_->Remove(event, &probe);
    ASSERT_FALSE(probe.received().empty()) << "the hub never heard a change";
  }

  core::FakeClock clock_{absl::FromCivil(absl::CivilSecond(2022, 3, 1, 10, 0, 0),
                                         absl::UTCTimeZone())};
  storage::RedisClientOptions options_;
  std::unique_ptr<storage::RedisClient> redis_;
  std::unique_ptr<storage::CalendarStore> calendar_store_;
  std::unique_ptr<storage::EventSheetStore> sheets_;
  std::unique_ptr<SheetBuilder> builder_;
  std::unique_ptr<calendar::CalendarApp> calendar_;
  std::unique_ptr<storage::AttendanceStore> store_;
  std::unique_ptr<AttendanceApp> app_;
  std::unique_ptr<CountsHub> hub_;
};

// A year of an online course with 60 participants from 60 cities and
// organisations (case q of tests/e2e/attendance_regressions_test.py): the
// whole event is more than one answer holds, one day of it is not.
TEST_F(CountsHubTest, AWatcherOfTooManyDaysDoesNotEndTheOtherWatchersOfItsEvent) {
  core::Event e = testing_util::ConnectionCalendar()[testing_util::kThessalonikiWorkshop];
  e.format = core::EventFormat::kOnline;
  e.venue = {};
  e.online = {"Jitsi", "https://meet.example.org/year", 0};
  e.sessions.clear();
  e.start_local = absl::CivilSecond(2031, 1, 1, 9, 0, 0);
  e.end_local = absl::CivilSecond(2031, 12, 31, 17, 0, 0);
  const std::string event = CreateEvent(e, "a-year");
  ASSERT_FALSE(event.empty());
  AwaitSubscribed();
  for (int i = 0; i < 60; ++i) {
    char n[4];
    std::snprintf(n, sizeof n, "%03d", i);
    ASSERT_TRUE(RegisterOnline(event, std::string("q") + n, n + std::string(97, 'c'),
                               n + std::string(197, 'o'))
                    .ok());
  }
  absl::StatusOr<core::AttendanceCounts> whole = Await<core::AttendanceCounts>(
      [&](auto done) { app_->GetAttendanceCounts(event, {}, std::move(done)); });
  ASSERT_EQ(whole.status().code(), absl::StatusCode::kOutOfRange) << whole.status();

  // A desk watching one day, a board watching the first and last, and a
  // watcher of the whole event held in the hub (in the service: from the
  // moment it opens until its refusal is sent) while someone registers.
  RecordingSink desk({"2031-06-01"});
  RecordingSink board({"2031-12-31", "2031-01-01"});
  RecordingSink everything({});
  hub_->Add(event, &desk);
  hub_->Add(event, &board);
  hub_->Add(event, &everything);
  ASSERT_TRUE(RegisterOnline(event, "late", "Gent", "").ok());
  ASSERT_TRUE(desk.Await());
  ASSERT_TRUE(board.Await());
  ASSERT_TRUE(everything.Await());
  hub_->Remove(event, &desk);
  hub_->Remove(event, &board);
  hub_->Remove(event, &everything);

  ASSERT_FALSE(desk.ended().has_value()) << *desk.ended();
  const std::vector<v1::AttendanceCounts> sent = desk.received();
  ASSERT_EQ(sent.size(), 1u);
  const v1::AttendanceCounts& today = sent[0];
  ASSERT_EQ(today.days_size(), 1);
  EXPECT_EQ(today.days(0).date(), "2031-06-01");
  EXPECT_EQ(today.days(0).counts().registered_online(), 61);
  ASSERT_FALSE(board.ended().has_value()) << *board.ended();
  const std::vector<v1::AttendanceCounts> board_sent = board.received();
  ASSERT_EQ(board_sent.size(), 1u);
  std::vector<std::string> board_days;
  for (const v1::DayCounts& d : board_sent[0].days()) board_days.push_back(d.date());
  EXPECT_THAT(board_days, ElementsAre("2031-01-01", "2031-12-31"));
  // The whole event is refused as GetAttendanceCounts refuses it.
  ASSERT_TRUE(everything.ended().has_value());
  EXPECT_EQ(everything.ended()->code(), absl::StatusCode::kOutOfRange) << *everything.ended();
  EXPECT_THAT(everything.ended()->message(), HasSubstr("days: "));
  EXPECT_TRUE(everything.received().empty());
}

}  // namespace
}  // namespace convene::attendance
