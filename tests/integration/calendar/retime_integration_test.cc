// CalendarApp::RetimeFutureEvents against a real, private redis-server, with
// "new" tz rules compiled by zic into a temporary zoneinfo root: Brussels
// keeping CET all year from 2027, and Lisbon starting summer time a week
// later from 2027 (so 01:30 on 4 April 2027 falls in a new gap).
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "calendar/calendar_app.h"
#include "storage/tzdata_version_store.h"
#include "core/fake_clock.h"
#include "core/tzdata_version.h"
#include "core/zoneinfo_directory.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "calendar/calendar_store.h"
#include "storage/keys.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_snapshot.h"
#include "testing_util/redis_test.h"
#include "testing_util/zoneinfo_root.h"

namespace convene::calendar {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using testing_util::Await;
using testing_util::MakeSession;

absl::Time Utc(int y, int mo, int d, int h, int mi) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), absl::UTCTimeZone());
}

std::string NewRulesSource() {
  return absl::StrCat(
      testing_util::BrusselsOnCetFrom2027Source(),
      "Rule Late 1996 2026 - Mar lastSun 1:00u 1:00 S\n"
      "Rule Late 2027 max - Apr Sun>=1 1:00u 1:00 S\n"
      "Rule Late 1996 max - Oct lastSun 1:00u 0 -\n"
      "Zone Europe/Lisbon 0:00 Late WE%sT\n");
}

class RetimeTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    absl::StatusOr<testing_util::ZoneinfoRoot> root =
        testing_util::ZoneinfoRoot::Compile(NewRulesSource());
    if (absl::IsFailedPrecondition(root.status())) GTEST_SKIP() << root.status();
    ASSERT_TRUE(root.ok()) << root.status();
    root_ = std::make_unique<testing_util::ZoneinfoRoot>(*std::move(root));
    absl::StatusOr<core::ZoneinfoDirectory> dir =
        core::ZoneinfoDirectory::Open(root_->path());
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<core::ZoneinfoDirectory>(*std::move(dir));

    storage::RedisClientOptions options;
    options.address = *storage::RedisAddress::Parse(redis_address());
    redis_ = *storage::RedisClient::Start(options);
    sync_ = std::make_unique<storage::RedisSyncClient>(*redis_);
    store_ = std::make_unique<storage::CalendarStore>(*redis_);
    versions_ = std::make_unique<storage::TzdataVersionStore>(*redis_);
    app_ = std::make_unique<CalendarApp>(*store_, clock_);
  }

  // The options a process started with CONVENE_TZDIR=root_ would use.
  RetimeOptions NewRules(bool dry_run = false) {
    RetimeOptions o;
    o.dry_run = dry_run;
    o.resolve_zone = [dir = dir_.get()](absl::string_view name) {
      absl::StatusOr<core::Zone> zone = dir->Load(name);
      return absl::IsNotFound(zone.status()) ? core::ResolveZone(name) : zone;
    };
    o.tzdata_version = dir_->version();
    o.record_in = versions_.get();
    return o;
  }

  absl::StatusOr<RetimeReport> Retime(RetimeOptions options) {
    return Await<RetimeReport>([&](auto done) {
      app_->RetimeFutureEvents(clock_.Now(), std::move(options), std::move(done));
    });
  }
  core::Event Create(const std::string& request_id, const core::Event& event) {
    absl::StatusOr<core::Event> made = Await<core::Event>([&](auto done) {
      app_->CreateEvent(request_id, event, std::move(done));
    });
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? *made : core::Event{};
  }
  core::Event Get(const std::string& id) {
    return *Await<core::Event>([&](auto done) { app_->GetEvent(id, std::move(done)); });
  }
  std::vector<EventChangeRecord> Changes() {
    return Await<EventChangePage>([&](auto done) {
             app_->ListEventChanges("", 0, std::move(done));
           })->changes;
  }
  // The stored document, byte for byte.
  std::string Document(const std::string& id) {
    absl::StatusOr<storage::RedisReply> doc =
        sync_->Command({"HGET", storage::keys::CalendarDocuments(), id});
    return doc.ok() ? doc->text() : "";
  }
  std::optional<std::string> RecordedVersion() {
    return *Await<std::optional<std::string>>(
        [&](auto done) { versions_->Get(std::move(done)); });
  }

  // An online event of the network, `start`..`end` local, in `zone`.
  static core::Event Webinar(std::string title, std::string zone,
                             absl::CivilSecond start, absl::CivilSecond end) {
    core::Event e;
    e.title = std::move(title);
    e.kind = core::EventKind::kWebinar;
    e.format = core::EventFormat::kOnline;
    e.time_zone = std::move(zone);
    e.start_local = start;
    e.end_local = end;
    e.online = {"Zoom", "https://meet.example.org/webinar", 0};
    return e;
  }

  // Hybrid, two days, with sessions: Brussels, summer 2027.
  static core::Event BrusselsSummerWorkshop() {
    core::Event e = testing_util::ConnectionCalendar()[testing_util::kInterimMeeting];
    e.title = "CoP2 workshop, summer 2027";
    e.start_local = absl::CivilSecond(2027, 7, 5, 9, 0, 0);
    e.end_local = absl::CivilSecond(2027, 7, 6, 17, 0, 0);
    e.sessions = {MakeSession("Opening", absl::CivilSecond(2027, 7, 5, 9, 0, 0),
                              absl::CivilSecond(2027, 7, 5, 12, 0, 0)),
                  MakeSession("Field visit", absl::CivilSecond(2027, 7, 6, 14, 0, 0),
                              absl::CivilSecond(2027, 7, 6, 17, 0, 0))};
    return e;
  }

  // 1 December 2026: before every 2027 event, after the 2026 ones.
  core::FakeClock clock_{Utc(2026, 12, 1, 12, 0)};
  std::unique_ptr<testing_util::ZoneinfoRoot> root_;
  std::unique_ptr<core::ZoneinfoDirectory> dir_;
  std::unique_ptr<storage::RedisClient> redis_;
  std::unique_ptr<storage::RedisSyncClient> sync_;
  std::unique_ptr<storage::CalendarStore> store_;
  std::unique_ptr<storage::TzdataVersionStore> versions_;
  std::unique_ptr<CalendarApp> app_;
};

TEST_F(RetimeTest, MovesFutureEventsTheNewRulesMoveAsUpdatesAndRecordsTheVersion) {
  const std::string old_version = core::TzdataVersion();
  const core::Event summer = Create("summer-2027", BrusselsSummerWorkshop());
  ASSERT_EQ(summer.start, Utc(2027, 7, 5, 7, 0));  // CEST under the system rules
  const core::Event winter = Create(
      "winter-2027", Webinar("Winter webinar", "Europe/Brussels",
                             absl::CivilSecond(2027, 1, 15, 10, 0, 0),
                             absl::CivilSecond(2027, 1, 15, 12, 0, 0)));
  const core::Event athens = Create(
      "athens-2027", Webinar("Athens webinar", "Europe/Athens",
                             absl::CivilSecond(2027, 7, 5, 10, 0, 0),
                             absl::CivilSecond(2027, 7, 5, 12, 0, 0)));
  const core::Event past = Create(
      "past-2026", Webinar("Past webinar", "Europe/Brussels",
                           absl::CivilSecond(2026, 7, 5, 10, 0, 0),
                           absl::CivilSecond(2026, 7, 5, 12, 0, 0)));
  clock_.Advance(absl::Hours(1));

  absl::StatusOr<RetimeReport> report = Retime(NewRules());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->dry_run);
  EXPECT_EQ(report->tzdata_version, "2027a");
  EXPECT_EQ(report->recorded_version, std::nullopt);
  EXPECT_EQ(report->examined, 3);  // not the past event
  EXPECT_THAT(report->needs_attention, SizeIs(0));
  ASSERT_THAT(report->moved, SizeIs(1));
  const RetimedEvent& moved = report->moved[0];
  EXPECT_EQ(moved.event_id, summer.id);
  EXPECT_EQ(moved.start_local, summer.start_local);
  EXPECT_EQ(moved.old_start, Utc(2027, 7, 5, 7, 0));
  EXPECT_EQ(moved.new_start, Utc(2027, 7, 5, 8, 0));
  EXPECT_EQ(moved.old_tzdata_version, old_version);
  EXPECT_EQ(moved.revision, 2);
  EXPECT_TRUE(report->version_recorded);
  EXPECT_EQ(RecordedVersion(), "2027a");

  // The stored event: same local times, instants one hour later, sessions
  // too, a new revision and the new version.
  const core::Event after = Get(summer.id);
  EXPECT_EQ(after.start_local, summer.start_local);
  EXPECT_EQ(after.end_local, summer.end_local);
  EXPECT_EQ(after.start, Utc(2027, 7, 5, 8, 0));
  EXPECT_EQ(after.end, Utc(2027, 7, 6, 16, 0));
  ASSERT_THAT(after.sessions, SizeIs(2));
  EXPECT_EQ(after.sessions[0].start, Utc(2027, 7, 5, 8, 0));
  EXPECT_EQ(after.sessions[1].end, Utc(2027, 7, 6, 16, 0));
  EXPECT_EQ(after.revision, 2);
  EXPECT_EQ(after.tzdata_version, "2027a");
  EXPECT_EQ(after.update_time, clock_.Now());

  // The others are untouched.
  for (const core::Event& e : {winter, athens, past}) {
    const core::Event now = Get(e.id);
    EXPECT_EQ(now.revision, 1) << e.title;
    EXPECT_EQ(now.start, e.start) << e.title;
  }

  // One change record, an ordinary update with the reason.
  const std::vector<EventChangeRecord> changes = Changes();
  ASSERT_THAT(changes, SizeIs(5));
  EXPECT_EQ(changes.back().type, "updated");
  EXPECT_EQ(changes.back().event.id, summer.id);
  EXPECT_EQ(changes.back().reason,
            absl::StrCat("tz rules changed: tzdata ", old_version, " -> 2027a"));

  // The start index moved: a window query at the new instant finds it, one
  // ending before it does not.
  EventQuery at_new;
  at_new.from = Utc(2027, 7, 5, 7, 30);
  at_new.to = Utc(2027, 7, 5, 8, 0);
  absl::StatusOr<EventPage> before_start = Await<EventPage>(
      [&](auto done) { app_->ListEvents(at_new, std::move(done)); });
  ASSERT_TRUE(before_start.ok());
  for (const core::Event& e : before_start->events) EXPECT_NE(e.id, summer.id);
  at_new.to = Utc(2027, 7, 5, 8, 30);
  absl::StatusOr<EventPage> covering = Await<EventPage>(
      [&](auto done) { app_->ListEvents(at_new, std::move(done)); });
  ASSERT_TRUE(covering.ok());
  std::vector<std::string> covering_ids;
  for (const core::Event& e : covering->events) covering_ids.push_back(e.id);
  EXPECT_THAT(covering_ids, ::testing::Contains(summer.id));

  // The change stream, which attendance and reminders follow, carries the
  // new revision with the moved instants.
  absl::StatusOr<storage::RedisReply> newest =
      sync_->Command({"XREVRANGE", storage::keys::CalendarChanges(), "+", "-", "COUNT", "1"});
  ASSERT_TRUE(newest.ok()) << newest.status();
  ASSERT_EQ(newest->elements().size(), 1u);
  std::map<std::string, std::string> fields;
  auto kv = newest->elements()[0].elements()[1].elements();
  for (size_t i = 0; i + 1 < kv.size(); i += 2) fields[kv[i].text()] = kv[i + 1].text();
  EXPECT_EQ(fields["event"], summer.id);
  EXPECT_EQ(fields["type"], "updated");
  EXPECT_EQ(fields["revision"], "2");
}

TEST_F(RetimeTest, ASecondRunMovesNothing) {
  Create("summer-2027", BrusselsSummerWorkshop());
  ASSERT_TRUE(Retime(NewRules()).ok());
  const std::string before = testing_util::RedisSnapshot(*sync_);
  const size_t changes = Changes().size();

  absl::StatusOr<RetimeReport> again = Retime(NewRules());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->examined, 1);
  EXPECT_THAT(again->moved, SizeIs(0));
  EXPECT_EQ(again->recorded_version, "2027a");
  EXPECT_EQ(Changes().size(), changes);
  EXPECT_EQ(testing_util::RedisSnapshot(*sync_), before);
}

TEST_F(RetimeTest, ADryRunReportsAndWritesNothing) {
  const core::Event summer = Create("summer-2027", BrusselsSummerWorkshop());
  const std::string before = testing_util::RedisSnapshot(*sync_);
  const std::string doc = Document(summer.id);

  absl::StatusOr<RetimeReport> report = Retime(NewRules(/*dry_run=*/true));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->dry_run);
  ASSERT_THAT(report->moved, SizeIs(1));
  EXPECT_EQ(report->moved[0].new_start, Utc(2027, 7, 5, 8, 0));
  EXPECT_EQ(report->moved[0].revision, 1);
  EXPECT_FALSE(report->version_recorded);
  EXPECT_EQ(testing_util::RedisSnapshot(*sync_), before);
  EXPECT_EQ(Document(summer.id), doc);
  EXPECT_EQ(RecordedVersion(), std::nullopt);
}

TEST_F(RetimeTest, ATimeInANewGapFollowsTheEventsPolicyOrIsReported) {
  // 01:30 on 4 April 2027 is WEST under the system rules and in the gap of
  // the new ones (clocks go 01:00 -> 02:00 that day).
  core::Event strict = Webinar("Lisbon early call", "Europe/Lisbon",
                               absl::CivilSecond(2027, 4, 4, 1, 30, 0),
                               absl::CivilSecond(2027, 4, 4, 3, 0, 0));
  core::Event lenient = strict;
  lenient.title = "Lisbon early call (RFC 5545)";
  lenient.local_time_policy = core::LocalTimePolicy::kRfc5545;
  const core::Event a = Create("lisbon-strict", strict);
  const core::Event b = Create("lisbon-lenient", lenient);
  ASSERT_EQ(a.start, Utc(2027, 4, 4, 0, 30));
  const std::string old_doc_a = Document(a.id);

  absl::StatusOr<RetimeReport> report = Retime(NewRules());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->examined, 2);
  ASSERT_THAT(report->needs_attention, SizeIs(1));
  EXPECT_EQ(report->needs_attention[0].event_id, a.id);
  EXPECT_EQ(report->needs_attention[0].status.code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(report->needs_attention[0].status.message(),
              HasSubstr("event.start_local: local time 2027-04-04T01:30 does "
                        "not exist in Europe/Lisbon"));
  // Left exactly as it was.
  EXPECT_EQ(Document(a.id), old_doc_a);

  // RFC 5545 reads a time in a gap with the offset before it: 01:30 WET.
  ASSERT_THAT(report->moved, SizeIs(1));
  EXPECT_EQ(report->moved[0].event_id, b.id);
  EXPECT_EQ(Get(b.id).start, Utc(2027, 4, 4, 1, 30));

  // Not every event is current: the version stays unrecorded, so services
  // keep warning until someone fixes the event and runs retime again.
  EXPECT_FALSE(report->version_recorded);
  EXPECT_EQ(RecordedVersion(), std::nullopt);
}

TEST_F(RetimeTest, LeavesCancelledEventsAlone) {
  const core::Event summer = Create("summer-2027", BrusselsSummerWorkshop());
  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                app_->CancelEvent(summer.id, "postponed", 0, std::move(done));
              }).ok());
  absl::StatusOr<RetimeReport> report = Retime(NewRules());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->examined, 0);
  EXPECT_EQ(Get(summer.id).start, Utc(2027, 7, 5, 7, 0));
  EXPECT_EQ(Get(summer.id).revision, 2);
  EXPECT_TRUE(report->version_recorded);
}

TEST_F(RetimeTest, WithoutAStoreTheReportSaysNothingWasRecorded) {
  Create("summer-2027", BrusselsSummerWorkshop());
  RetimeOptions options = NewRules();
  options.record_in = nullptr;
  absl::StatusOr<RetimeReport> report = Retime(std::move(options));
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->moved, SizeIs(1));
  EXPECT_FALSE(report->version_recorded);
  EXPECT_EQ(RecordedVersion(), std::nullopt);
}

}  // namespace
}  // namespace convene::calendar
