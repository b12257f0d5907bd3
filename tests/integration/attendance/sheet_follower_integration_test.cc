// Attendance builds its event sheets from the calendar's change stream
// (attendance/sheet_follower.h, sheet_builder.h), against a real, private
// redis-server: the follower, its lag, the catch-up that gives an organiser
// read-your-writes after CreateEvent, and the rewrite after an upgrade.
#include "attendance/sheet_follower.h"

#include <memory>
#include <string>
#include <vector>

#include "attendance/attendance_app.h"
#include "attendance/sheet_builder.h"
#include "calendar/calendar_app.h"
#include "core/event_sheet.h"
#include "core/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mapping/event_mapping.h"
#include "attendance/attendance_store.h"
#include "calendar/calendar_store.h"
#include "attendance/event_sheet_store.h"
#include "storage/keys.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_test.h"

namespace convene::attendance {
namespace {

using ::testing::HasSubstr;
using testing_util::Await;

class SheetFollowerTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    storage::RedisClientOptions options;
    options.address = *storage::RedisAddress::Parse(redis_address());
    redis_ = *storage::RedisClient::Start(options);
    sync_ = std::make_unique<storage::RedisSyncClient>(*redis_);
    feed_redis_ = *storage::RedisSyncClient::Start(options);
    calendar_store_ = std::make_unique<storage::CalendarStore>(*redis_);
    calendar_ = std::make_unique<calendar::CalendarApp>(*calendar_store_, clock_);
    sheets_ = std::make_unique<storage::EventSheetStore>(*redis_);
    builder_ = std::make_unique<SheetBuilder>(*redis_, *sheets_);
    follower_ = MakeFollower("replica-1");
    store_ = std::make_unique<storage::AttendanceStore>(*redis_);
    app_ = std::make_unique<AttendanceApp>(*store_, clock_, builder_.get());
  }

  std::unique_ptr<SheetFollower> MakeFollower(const std::string& owner) {
    return std::make_unique<SheetFollower>(*feed_redis_, *redis_, *builder_, clock_,
                                           SheetFollowerOptions{.owner = owner});
  }
  std::string Create(const core::Event& e, const std::string& request_id) {
    absl::StatusOr<core::Event> made = Await<core::Event>(
        [&](auto done) { calendar_->CreateEvent(request_id, e, std::move(done)); });
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? made->id : "";
  }
  std::string Thessaloniki() {
    return Create(testing_util::ConnectionCalendar()[testing_util::kThessalonikiWorkshop],
                  "thessaloniki");
  }
  absl::StatusOr<core::EventSheet> Sheet(const std::string& id) {
    return Await<core::EventSheet>([&](auto done) { sheets_->Get(id, std::move(done)); });
  }
  void SetCapacity(const std::string& id, int seats, int64_t revision) {
    v1::Event patch;
    patch.set_id(id);
    patch.mutable_venue()->set_in_person_capacity(seats);
    ASSERT_TRUE(Await<core::Event>([&](auto done) {
                  calendar_->UpdateEvent(patch, {"venue.in_person_capacity"}, revision,
                                         std::move(done));
                }).ok());
  }
  absl::StatusOr<core::Registration> Register(const std::string& event, const std::string& pid) {
    core::ParticipantInfo p{pid,     "Partner " + pid, pid + "@example.org", "City",
                            "Torino", "IT",            "Europe/Rome",        "it"};
    return Await<core::Registration>([&](auto done) {
      app_->Register(event, "r-" + pid, p, core::AttendanceMode::kInPerson, {}, std::move(done));
    });
  }

  core::FakeClock clock_{absl::FromCivil(absl::CivilSecond(2022, 3, 1, 10, 0, 0),
                                         absl::UTCTimeZone())};
  std::unique_ptr<storage::RedisClient> redis_;
  std::unique_ptr<storage::RedisSyncClient> sync_;
  std::unique_ptr<storage::RedisSyncClient> feed_redis_;
  std::unique_ptr<storage::CalendarStore> calendar_store_;
  std::unique_ptr<calendar::CalendarApp> calendar_;
  std::unique_ptr<storage::EventSheetStore> sheets_;
  std::unique_ptr<SheetBuilder> builder_;
  std::unique_ptr<SheetFollower> follower_;
  std::unique_ptr<storage::AttendanceStore> store_;
  std::unique_ptr<AttendanceApp> app_;
};

TEST_F(SheetFollowerTest, BuildsEachSheetFromTheCalendarsChanges) {
  const std::string id = Thessaloniki();
  // The calendar wrote nothing of attendance's.
  EXPECT_EQ(Sheet(id).status().code(), absl::StatusCode::kNotFound);

  ASSERT_EQ(*follower_->ProcessAvailable(), 1);
  absl::StatusOr<core::EventSheet> s = Sheet(id);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->revision, 1);
  EXPECT_EQ(s->days, (std::vector<absl::CivilDay>{absl::CivilDay(2022, 3, 15),
                                                  absl::CivilDay(2022, 3, 16),
                                                  absl::CivilDay(2022, 3, 17)}));
  EXPECT_EQ(s->in_person_capacity, 25);
  EXPECT_EQ(s->online_capacity, 50);
  ASSERT_EQ(s->sessions.size(), 5u);
  EXPECT_EQ(s->sessions[0].format, core::EventFormat::kHybrid);
  EXPECT_EQ(s->sessions[1].format, core::EventFormat::kInPerson);
  ASSERT_EQ(s->check_in_windows.size(), 3u);

  // A change reaches the sheet when the follower has taken it: in between,
  // attendance answers from the previous revision (the documented lag).
  SetCapacity(id, 30, 1);
  EXPECT_EQ(Sheet(id)->in_person_capacity, 25);
  ASSERT_EQ(*follower_->ProcessAvailable(), 1);
  EXPECT_EQ(Sheet(id)->in_person_capacity, 30);
  EXPECT_EQ(Sheet(id)->revision, 2);

  // A late copy of an older revision never replaces a newer sheet.
  EXPECT_FALSE(*Await<bool>([&](auto done) { sheets_->Put(*s, std::move(done)); }));
  EXPECT_EQ(Sheet(id)->in_person_capacity, 30);

  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                calendar_->CancelEvent(id, "postponed", 0, std::move(done));
              }).ok());
  ASSERT_EQ(*follower_->ProcessAvailable(), 1);
  EXPECT_TRUE(Sheet(id)->cancelled);
  // Nothing new: nothing read.
  EXPECT_EQ(*follower_->ProcessAvailable(), 0);
}

// Several changes of one event in one batch leave its newest state, and a
// follower that starts later (a new replica, a restart) continues from the
// saved position rather than from the start.
TEST_F(SheetFollowerTest, ContinuesFromTheSavedPositionAndTakesTheNewestState) {
  const std::string id = Thessaloniki();
  SetCapacity(id, 26, 1);
  SetCapacity(id, 27, 2);
  ASSERT_EQ(*follower_->ProcessAvailable(), 3);
  EXPECT_EQ(Sheet(id)->in_person_capacity, 27);
  EXPECT_EQ(Sheet(id)->revision, 3);

  follower_.reset();
  SetCapacity(id, 28, 3);
  std::unique_ptr<SheetFollower> next = MakeFollower("replica-1");
  EXPECT_EQ(*next->ProcessAvailable(), 1);
  EXPECT_EQ(Sheet(id)->in_person_capacity, 28);
}

// One replica at a time follows: another one reads nothing while the lease
// is held, and takes over once it lapses.
TEST_F(SheetFollowerTest, OneReplicaFollowsAtATime) {
  const std::string id = Thessaloniki();
  ASSERT_EQ(*follower_->ProcessAvailable(), 1);
  std::unique_ptr<SheetFollower> other = MakeFollower("replica-2");
  SetCapacity(id, 40, 1);
  EXPECT_EQ(*other->ProcessAvailable(), 0);
  EXPECT_EQ(Sheet(id)->in_person_capacity, 25);
  ASSERT_TRUE(sync_->Command({"DEL", storage::keys::SheetFollowerLease()}).ok());
  EXPECT_EQ(*other->ProcessAvailable(), 1);
  EXPECT_EQ(Sheet(id)->in_person_capacity, 40);
}

// Health reports how long the oldest change not applied yet has waited.
TEST_F(SheetFollowerTest, ReportsItsLag) {
  EXPECT_EQ(*follower_->Lag(absl::Seconds(5)), absl::ZeroDuration());
  const std::string id = Thessaloniki();
  // The stream's ids are Redis' own clock; the lag is measured against the
  // service's clock, set here a minute after the change.
  clock_.SetNow(absl::Now() + absl::Minutes(1));
  absl::StatusOr<absl::Duration> lag = follower_->Lag(absl::Seconds(5));
  ASSERT_TRUE(lag.ok()) << lag.status();
  EXPECT_GE(*lag, absl::Seconds(59));
  ASSERT_EQ(*follower_->ProcessAvailable(), 1);
  EXPECT_EQ(*follower_->Lag(absl::Seconds(5)), absl::ZeroDuration());
}

// Changes trimmed from the calendar's stream before the follower read them
// (attendance was down longer than the stream keeps changes) leave sheets
// behind: health says so, naming the fix, until convene-admin resheet has
// rebuilt every sheet (it deletes the mark).
TEST_F(SheetFollowerTest, ChangesTrimmedBeforeTheyWereAppliedAreReportedUntilResheet) {
  const std::string a = Thessaloniki();
  ASSERT_EQ(*follower_->ProcessAvailable(), 1);
  EXPECT_TRUE(follower_->Health(absl::Seconds(5)).ok());
  const std::string b = Create(testing_util::ConnectionCalendar()[0], "brussels");
  ASSERT_TRUE(sync_->Command({"XTRIM", storage::keys::CalendarChanges(), "MAXLEN", "0"}).ok());
  const std::string c = Create(testing_util::ConnectionCalendar()[1], "turin");
  ASSERT_EQ(*follower_->ProcessAvailable(), 1);
  EXPECT_EQ(Sheet(b).status().code(), absl::StatusCode::kNotFound);  // missed
  EXPECT_TRUE(Sheet(c).ok());
  absl::Status health = follower_->Health(absl::Seconds(5));
  EXPECT_EQ(health.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(health.message()), HasSubstr("calendar changes were trimmed from"));
  EXPECT_THAT(std::string(health.message()), HasSubstr("convene-admin resheet"));
  // Still reported after the follower moved on...
  ASSERT_EQ(*follower_->ProcessAvailable(), 0);
  EXPECT_FALSE(follower_->Health(absl::Seconds(5)).ok());
  // ...until the sheets are rebuilt and the mark is gone.
  ASSERT_TRUE(sync_->Command({"DEL", storage::keys::SheetFollowerGap()}).ok());
  EXPECT_TRUE(follower_->Health(absl::Seconds(5)).ok());
}

// Read-your-writes: an organiser who creates an event and registers someone
// at once is served even before the follower has run.
TEST_F(SheetFollowerTest, ARegistrationRightAfterCreateEventFindsTheEvent) {
  const std::string id = Thessaloniki();
  absl::StatusOr<core::Registration> r = Register(id, "torino-1");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->days.size(), 3u);
  EXPECT_EQ(Sheet(id)->revision, 1);
  // An event the calendar never had is still NOT_FOUND, naming it.
  absl::StatusOr<core::Registration> none = Register("ev_nowhere", "torino-2");
  EXPECT_EQ(none.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(none.status().message()), HasSubstr("event ev_nowhere not found"));
  absl::StatusOr<core::AttendanceCounts> counts = Await<core::AttendanceCounts>(
      [&](auto done) { app_->GetAttendanceCounts("ev_nowhere", std::move(done)); });
  EXPECT_EQ(counts.status().code(), absl::StatusCode::kNotFound);
}

// Erasure "from every event" walks attendance's own index of events, which
// every sheet write keeps.
TEST_F(SheetFollowerTest, ListsEveryEventWithASheet) {
  const std::string a = Thessaloniki();
  const std::string b = Create(testing_util::ConnectionCalendar()[0], "brussels");
  ASSERT_EQ(*follower_->ProcessAvailable(), 2);
  absl::StatusOr<std::vector<std::string>> ids = Await<std::vector<std::string>>(
      [&](auto done) { sheets_->ListEventIds(std::move(done)); });
  ASSERT_TRUE(ids.ok());
  EXPECT_THAT(*ids, ::testing::UnorderedElementsAre(a, b));
}

// A sheet an older release wrote has no check-in windows (any time is
// accepted then); convene-admin resheet rebuilds it over the same revision,
// while the follower's writes never replace a sheet of the same revision.
TEST_F(SheetFollowerTest, RewritesASheetAnOlderReleaseWroteWithoutWindows) {
  const std::string id = Thessaloniki();
  ASSERT_EQ(*follower_->ProcessAvailable(), 1);
  const std::string key = storage::keys::EventSheet(id);
  ASSERT_EQ(sync_->Command({"HDEL", key, "check_in_windows"})->as_integer().value_or(0), 1);
  absl::StatusOr<std::string> doc =
      Await<std::string>([&](auto done) { calendar_store_->Get(id, std::move(done)); });
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(*Await<bool>([&](auto done) { builder_->Apply(*doc, std::move(done)); }));
  EXPECT_FALSE(sync_->Command({"HEXISTS", key, "check_in_windows"})->as_integer().value_or(1));

  absl::StatusOr<bool> rewritten = Await<bool>([&](auto done) {
    builder_->Apply(*doc, std::move(done), storage::EventSheetStore::SameRevision::kReplace);
  });
  ASSERT_TRUE(rewritten.ok()) << rewritten.status();
  EXPECT_TRUE(*rewritten);
  absl::StatusOr<core::EventSheet> now = Sheet(id);
  ASSERT_TRUE(now.ok());
  EXPECT_EQ(now->revision, 1);
  ASSERT_EQ(now->check_in_windows.size(), 3u);
  EXPECT_EQ(now->check_in_windows[0].from_local, "2022-03-14T21:00 EET (+02:00)");
}

}  // namespace
}  // namespace convene::attendance
