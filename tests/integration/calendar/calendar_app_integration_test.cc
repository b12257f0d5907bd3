// CalendarApp against a real, private redis-server: the calendar's use cases
// with the CONNECTION network's events.
#include "calendar/agenda_cache.h"
#include "calendar/calendar_app.h"
#include "calendar/event_page_cache.h"

#include <algorithm>
#include <memory>
#include <tuple>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "calendar/event_mapping.h"
#include "core/fake_clock.h"
#include "core/zone.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "calendar/calendar_store.h"
#include "storage/keys.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "storage/stream_position.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_snapshot.h"
#include "testing_util/redis_test.h"

namespace convene::calendar {
namespace {

using ::testing::HasSubstr;
using testing_util::ConnectionCalendar;

using testing_util::Await;

class CalendarAppTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    storage::RedisClientOptions options;
    options.address = *storage::RedisAddress::Parse(redis_address());
    redis_ = *storage::RedisClient::Start(options);
    sync_ = std::make_unique<storage::RedisSyncClient>(*redis_);
    store_ = std::make_unique<storage::CalendarStore>(*redis_, max_changes_);
    app_ = std::make_unique<CalendarApp>(*store_, clock_);
  }

  absl::StatusOr<core::Event> Create(const std::string& request_id,
                                     const core::Event& event) {
    return Await<core::Event>(
        [&](auto done) { app_->CreateEvent(request_id, event, std::move(done)); });
  }
  absl::StatusOr<core::Event> Get(const std::string& id) {
    return Await<core::Event>([&](auto done) { app_->GetEvent(id, std::move(done)); });
  }
  absl::StatusOr<EventPage> List(EventQuery q) {
    return Await<EventPage>([&](auto done) { app_->ListEvents(q, std::move(done)); });
  }
  absl::StatusOr<EventChangePage> Changes(const std::string& token, int n = 0) {
    return Await<EventChangePage>(
        [&](auto done) { app_->ListEventChanges(token, n, std::move(done)); });
  }
  absl::StatusOr<core::Event> Update(v1::Event patch, std::vector<std::string> mask,
                                     int64_t expected) {
    return Await<core::Event>([&](auto done) {
      app_->UpdateEvent(patch, mask, expected, std::move(done));
    });
  }
  std::vector<std::string> CreateAll() {
    std::vector<std::string> ids;
    int n = 0;
    for (const core::Event& e : ConnectionCalendar()) {
      absl::StatusOr<core::Event> made = Create(absl::StrCat("connection-", n++), e);
      EXPECT_TRUE(made.ok()) << made.status();
      ids.push_back(made.ok() ? made->id : "");
    }
    return ids;
  }
  // Every key in Redis with its value type, to show that a failed call wrote
  // nothing.
  std::string Snapshot() { return testing_util::RedisSnapshot(*sync_); }

  int64_t max_changes_ = 100000;
  core::FakeClock clock_{absl::FromCivil(absl::CivilSecond(2021, 6, 1, 12, 0, 0),
                                         absl::UTCTimeZone())};
  std::unique_ptr<storage::RedisClient> redis_;
  std::unique_ptr<storage::RedisSyncClient> sync_;
  std::unique_ptr<storage::CalendarStore> store_;
  std::unique_ptr<CalendarApp> app_;
};

TEST_F(CalendarAppTest, StoresAndReadsBackTheConnectionCalendar) {
  std::vector<std::string> ids = CreateAll();
  std::vector<core::Event> expected = ConnectionCalendar();
  for (size_t i = 0; i < ids.size(); ++i) {
    absl::StatusOr<core::Event> e = Get(ids[i]);
    ASSERT_TRUE(e.ok()) << e.status();
    EXPECT_EQ(e->title, expected[i].title);
    EXPECT_EQ(e->time_zone, expected[i].time_zone);
    EXPECT_EQ(e->start_local, expected[i].start_local);
    EXPECT_EQ(e->sessions.size(), expected[i].sessions.size());
    EXPECT_EQ(e->revision, 1);
    EXPECT_EQ(e->create_time, clock_.Now());
  }
  absl::StatusOr<core::Event> t = Get(ids[testing_util::kThessalonikiWorkshop]);
  EXPECT_EQ(t->sessions[1].format, core::EventFormat::kInPerson);
  EXPECT_EQ(t->start, absl::FromCivil(absl::CivilSecond(2022, 3, 15, 7, 0, 0),
                                      absl::UTCTimeZone()));
}

TEST_F(CalendarAppTest, ARetriedCreateReturnsTheSameEventAndNoDuplicate) {
  core::Event turin = ConnectionCalendar()[testing_util::kTurinWorkshop];
  absl::StatusOr<core::Event> first = Create("retry-me", turin);
  ASSERT_TRUE(first.ok());
  clock_.Advance(absl::Minutes(5));
  absl::StatusOr<core::Event> again = Create("retry-me", turin);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->id, first->id);
  EXPECT_EQ(again->create_time, first->create_time);
  absl::StatusOr<EventPage> all = List({});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->events.size(), 1u);
  EXPECT_EQ(Changes("")->changes.size(), 1u);
}

TEST_F(CalendarAppTest, BadInputWritesNothing) {
  CreateAll();
  const std::string before = Snapshot();
  ASSERT_THAT(before, HasSubstr("cv:{cal}:docs"));
  core::Event bad = ConnectionCalendar()[testing_util::kInterimMeeting];
  bad.time_zone = "Europe/Bruxelles";
  absl::StatusOr<core::Event> r = Create("bad-1", bad);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("event.time_zone"));
  bad = ConnectionCalendar()[testing_util::kInterimMeeting];
  bad.sessions[0].start_local = absl::CivilSecond(2021, 9, 15, 9, 0, 0);
  EXPECT_EQ(Create("bad-2", bad).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Create("", ConnectionCalendar()[0]).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CalendarAppTest, UnknownIdIsNotFound) {
  EXPECT_EQ(Get("ev_0000000000000000").status().code(), absl::StatusCode::kNotFound);
  v1::Event patch;
  patch.set_id("ev_0000000000000000");
  patch.set_title("x");
  EXPECT_EQ(Update(patch, {"title"}, 1).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CalendarAppTest, UpdateWithAStaleRevisionIsAbortedAndChangesNothing) {
  absl::StatusOr<core::Event> e =
      Create("u1", ConnectionCalendar()[testing_util::kTurinWorkshop]);
  ASSERT_TRUE(e.ok());
  v1::Event patch;
  patch.set_id(e->id);
  patch.set_title("CoP1 2nd workshop (Torino)");
  clock_.Advance(absl::Hours(1));
  absl::StatusOr<core::Event> updated = Update(patch, {"title"}, 1);
  ASSERT_TRUE(updated.ok()) << updated.status();
  EXPECT_EQ(updated->revision, 2);
  EXPECT_EQ(updated->update_time, clock_.Now());

  const std::string before = Snapshot();
  patch.set_title("lost update");
  absl::StatusOr<core::Event> stale = Update(patch, {"title"}, 1);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(Snapshot(), before);
  EXPECT_EQ(Get(e->id)->title, "CoP1 2nd workshop (Torino)");
}

TEST_F(CalendarAppTest, UpdateRejectsOutputOnlyAndUnknownPaths) {
  absl::StatusOr<core::Event> e = Create("u2", ConnectionCalendar()[2]);
  v1::Event patch;
  patch.set_id(e->id);
  EXPECT_THAT(std::string(Update(patch, {"revision"}, 1).status().message()),
              HasSubstr("output only"));
  EXPECT_THAT(std::string(Update(patch, {"colour"}, 1).status().message()),
              HasSubstr("not a field"));
}

TEST_F(CalendarAppTest, RescheduleMovesTheEventInWindowQueries) {
  absl::StatusOr<core::Event> e =
      Create("r1", ConnectionCalendar()[testing_util::kTurinWorkshop]);
  v1::Event patch;
  patch.set_id(e->id);
  patch.set_start_local("2021-10-18T09:30");
  patch.set_end_local("2021-10-18T17:30");
  ASSERT_TRUE(Update(patch, {"start_local", "end_local"}, 1).ok());
  auto window = [&](int day) {
    EventQuery q;
    q.from = absl::FromCivil(absl::CivilDay(2021, 10, day), absl::UTCTimeZone());
    q.to = *q.from + absl::Hours(24);
    return List(q)->events.size();
  };
  EXPECT_EQ(window(11), 0u);
  EXPECT_EQ(window(18), 1u);
}

TEST_F(CalendarAppTest, CancelKeepsTheEventReadableWithItsReason) {
  std::vector<std::string> ids = CreateAll();
  const std::string turin = ids[testing_util::kTurinWorkshop];
  absl::StatusOr<core::Event> c = Await<core::Event>([&](auto done) {
    app_->CancelEvent(turin, "venue unavailable", 0, std::move(done));
  });
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->status, core::EventStatus::kCancelled);
  absl::StatusOr<core::Event> read = Get(turin);
  EXPECT_EQ(read->status, core::EventStatus::kCancelled);
  EXPECT_EQ(read->cancel_reason, "venue unavailable");
  EXPECT_EQ(read->revision, 2);
  EventQuery q;
  q.status = core::EventStatus::kCancelled;
  ASSERT_EQ(List(q)->events.size(), 1u);
  EXPECT_EQ(List(q)->events[0].id, turin);
}

TEST_F(CalendarAppTest, ListsAWindowInStartOrderPageByPage) {
  CreateAll();
  EventQuery q;
  q.from = absl::FromCivil(absl::CivilDay(2021, 1, 1), absl::UTCTimeZone());
  q.to = absl::FromCivil(absl::CivilDay(2023, 1, 1), absl::UTCTimeZone());
  q.page_size = 2;
  std::vector<std::string> titles;
  for (int page = 0; page < 10; ++page) {
    absl::StatusOr<EventPage> p = List(q);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_LE(p->events.size(), 2u);
    for (const core::Event& e : p->events) titles.push_back(e.title);
    if (p->next_page_token.empty()) break;
    q.page_token = p->next_page_token;
  }
  EXPECT_THAT(titles, ::testing::ElementsAre(
                          "CONNECTION interim meeting", "CoP1 2nd workshop",
                          "CoP1 3rd workshop", "CONNECTION final project meeting",
                          "Integrating Cities conference (10th edition)"));
}

TEST_F(CalendarAppTest, WindowsCatchEventsThatStartedBeforeThem) {
  CreateAll();
  EventQuery q;  // the second day of the Thessaloniki workshop
  q.from = absl::FromCivil(absl::CivilSecond(2022, 3, 16, 0, 0, 0), absl::UTCTimeZone());
  q.to = *q.from + absl::Hours(12);
  absl::StatusOr<EventPage> p = List(q);
  ASSERT_EQ(p->events.size(), 1u);
  EXPECT_EQ(p->events[0].title, "CoP1 3rd workshop");
}

TEST_F(CalendarAppTest, FiltersByCommunityCityFormatAndKind) {
  CreateAll();
  EventQuery q;
  q.community = "CoP1";
  EXPECT_EQ(List(q)->events.size(), 2u);
  q = {};
  q.city = "utrecht";
  EXPECT_EQ(List(q)->events.size(), 2u);
  q = {};
  q.format = core::EventFormat::kHybrid;
  EXPECT_EQ(List(q)->events.size(), 2u);
  q = {};
  q.kind = core::EventKind::kConference;
  EXPECT_EQ(List(q)->events.size(), 1u);
}

TEST_F(CalendarAppTest, APageTokenOnlyWorksWithItsOwnFilters) {
  CreateAll();
  EventQuery q;
  q.page_size = 1;
  absl::StatusOr<EventPage> p = List(q);
  ASSERT_FALSE(p->next_page_token.empty());
  q.page_token = p->next_page_token;
  q.community = "CoP1";
  EXPECT_EQ(List(q).status().code(), absl::StatusCode::kInvalidArgument);
  q.page_token = "garbage";
  EXPECT_EQ(List(q).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(CalendarAppTest, ChangeFeedResumesFromASyncToken) {
  std::vector<std::string> ids = CreateAll();
  absl::StatusOr<EventChangePage> first = Changes("", 4);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->changes.size(), 4u);
  EXPECT_TRUE(first->has_more);
  absl::StatusOr<EventChangePage> rest = Changes(first->next_sync_token);
  ASSERT_EQ(rest->changes.size(), 2u);
  EXPECT_FALSE(rest->has_more);
  EXPECT_EQ(rest->changes[1].type, "created");
  EXPECT_EQ(rest->changes[1].event.id, ids.back());

  // Nothing new: the same token comes back.
  absl::StatusOr<EventChangePage> idle = Changes(rest->next_sync_token);
  EXPECT_TRUE(idle->changes.empty());
  EXPECT_EQ(idle->next_sync_token, rest->next_sync_token);

  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                app_->CancelEvent(ids[0], "merged into interim", 0, std::move(done));
              }).ok());
  absl::StatusOr<EventChangePage> later = Changes(rest->next_sync_token);
  ASSERT_EQ(later->changes.size(), 1u);
  EXPECT_EQ(later->changes[0].type, "cancelled");
  EXPECT_EQ(later->changes[0].reason, "merged into interim");
  EXPECT_EQ(later->changes[0].event.revision, 2);
}

TEST_F(CalendarAppTest, ListEventsGivesASyncTokenToFollowFrom) {
  CreateAll();
  absl::StatusOr<EventPage> page = List({});
  absl::StatusOr<EventChangePage> after = Changes(page->sync_token);
  ASSERT_TRUE(after.ok());
  EXPECT_TRUE(after->changes.empty());
}

// The calendar owns {cal} and publishes its changes; the attendance sheet is
// attendance's to build from them (tests/integration/attendance/
// sheet_follower_integration_test.cc). Nothing the calendar does writes a
// key of another service.
TEST_F(CalendarAppTest, WritesOnlyItsOwnKeys) {
  std::vector<std::string> ids = CreateAll();
  v1::Event patch;
  patch.set_id(ids[testing_util::kThessalonikiWorkshop]);
  patch.mutable_venue()->set_in_person_capacity(30);
  ASSERT_TRUE(Update(patch, {"venue.in_person_capacity"}, 1).ok());
  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                app_->CancelEvent(ids[0], "postponed", 0, std::move(done));
              }).ok());
  absl::StatusOr<storage::RedisReply> keys = sync_->Command({"KEYS", "*"});
  ASSERT_TRUE(keys.ok());
  ASSERT_FALSE(keys->elements().empty());
  for (const storage::RedisReply& key : keys->elements()) {
    EXPECT_TRUE(absl::StartsWith(key.text(), "cv:{cal}:")) << key.text();
  }
}

class CalendarAppTrimmedFeedTest : public CalendarAppTest {
 protected:
  CalendarAppTrimmedFeedTest() { max_changes_ = 10; }
};

TEST_F(CalendarAppTrimmedFeedTest, AnExpiredTokenFailsClearly) {
  absl::StatusOr<core::Event> e = Create("t1", ConnectionCalendar()[2]);
  const std::string old_token = Changes("")->next_sync_token;
  v1::Event patch;
  patch.set_id(e->id);
  // Enough changes for Redis' approximate trimming to drop whole nodes.
  for (int i = 0; i < 300; ++i) {
    patch.set_title(absl::StrCat("Turin workshop v", i));
    ASSERT_TRUE(Update(patch, {"title"}, i + 1).ok());
  }
  absl::StatusOr<EventChangePage> expired = Changes(old_token);
  EXPECT_EQ(expired.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(expired.status().message()), HasSubstr("expired"));
  EXPECT_EQ(Changes("").status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Changes("not-a-token").status().code(), absl::StatusCode::kInvalidArgument);
}

// Sync tokens carry the feed's epoch, stamped with its first entry: a token
// kept across a Redis reset (or taken to another Convene) is refused with
// "resync" even when its stream id exists in the new feed, and a made-up id
// beyond the newest change is refused too.
TEST_F(CalendarAppTest, ATokenFromBeforeARedisResetIsRefused) {
  // Before the first change the feed has no epoch; "from the start" tokens
  // of that time stay good.
  const std::string from_the_start = Changes("")->next_sync_token;
  ASSERT_TRUE(Create("t1", ConnectionCalendar()[2]).ok());
  absl::StatusOr<EventChangePage> first = Changes(from_the_start);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->changes.size(), 1u);
  const std::string token = first->next_sync_token;
  absl::StatusOr<storage::StreamPosition> decoded =
      storage::DecodeStreamPosition(token, "sync_token");
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->epoch.empty());

  // Beyond the newest change, in this epoch: never issued.
  absl::StatusOr<EventChangePage> ahead = Changes(storage::EncodeStreamPosition(
      {decoded->epoch, "99999999999999-0"}));
  EXPECT_EQ(ahead.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(ahead.status().message()), HasSubstr("not a position of this feed"));

  // The same Redis, wiped, then written again: the stream id in the token
  // may exist again, but it is another feed now.
  ASSERT_TRUE(sync_->Command({"FLUSHALL"}).ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(Create(absl::StrCat("after-reset-", i), ConnectionCalendar()[i]).ok());
  }
  absl::StatusOr<EventChangePage> stale = Changes(token);
  EXPECT_EQ(stale.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(stale.status().message()),
              HasSubstr("issued by another Redis, or by this one before its data was reset"));
  EXPECT_THAT(std::string(stale.status().message()), HasSubstr("resync in full with ListEvents"));
  // A bare stream id is not a token.
  EXPECT_EQ(Changes(decoded->stream_id).status().code(), absl::StatusCode::kInvalidArgument);
}


TEST_F(CalendarAppTest, AgendaForAViewerZone) {
  std::vector<std::string> ids = CreateAll();
  absl::StatusOr<core::Agenda> a = Await<core::Agenda>([&](auto done) {
    app_->GetAgenda(ids[testing_util::kThessalonikiWorkshop], "America/New_York",
                    std::move(done));
  });
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_EQ(a->days.size(), 3u);
  EXPECT_EQ(a->days[0].items[0].start.viewer_local,
            absl::CivilSecond(2022, 3, 15, 3, 0, 0));
  EXPECT_EQ(Await<core::Agenda>([&](auto done) {
              app_->GetAgenda(ids[0], "Mars/Olympus", std::move(done));
            }).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// GetAgenda answers repeated requests from agendas built before, but only
// while the stored event is the one they were built from: an update shows
// at once, for every viewer zone.
TEST_F(CalendarAppTest, AnAgendaFollowsEveryUpdateOfItsEvent) {
  std::vector<std::string> ids = CreateAll();
  const std::string id = ids[testing_util::kThessalonikiWorkshop];
  auto agenda = [&](const std::string& zone) {
    return Await<core::Agenda>(
        [&](auto done) { app_->GetAgenda(id, zone, std::move(done)); });
  };
  for (const char* zone : {"America/New_York", "Asia/Tokyo", ""}) {
    absl::StatusOr<core::Agenda> first = agenda(zone);
    absl::StatusOr<core::Agenda> again = agenda(zone);
    ASSERT_TRUE(first.ok() && again.ok()) << first.status() << again.status();
    EXPECT_EQ(again->title, first->title);
    EXPECT_EQ(again->viewer_zone, first->viewer_zone);
    EXPECT_EQ(again->days.size(), first->days.size());
  }
  absl::StatusOr<core::Event> before = Get(id);
  ASSERT_TRUE(before.ok());
  v1::Event patch;
  patch.set_id(id);
  patch.set_title("CoP1 3rd workshop (renamed)");
  absl::StatusOr<core::Event> updated = Update(patch, {"title"}, before->revision);
  ASSERT_TRUE(updated.ok()) << updated.status();
  for (const char* zone : {"America/New_York", "Asia/Tokyo", ""}) {
    absl::StatusOr<core::Agenda> after = agenda(zone);
    ASSERT_TRUE(after.ok()) << after.status();
    EXPECT_EQ(after->title, "CoP1 3rd workshop (renamed)") << zone;
    EXPECT_EQ(after->revision, updated->revision) << zone;
    // The wire form GetAgenda sends follows the update too.
    absl::StatusOr<std::shared_ptr<const AgendaAnswer>> answer =
        Await<std::shared_ptr<const AgendaAnswer>>(
            [&](auto done) { app_->GetAgendaAnswer(id, zone, std::move(done)); });
    ASSERT_TRUE(answer.ok()) << answer.status();
    v1::Agenda wire;
    ASSERT_TRUE(wire.ParseFromString((*answer)->response)) << zone;
    EXPECT_EQ(wire.title(), "CoP1 3rd workshop (renamed)") << zone;
    EXPECT_EQ((*answer)->response, AgendaToProto(*after).SerializeAsString()) << zone;
    EXPECT_GT(after->revision, before->revision) << zone;
  }
}

// Calls of one Redis command so far (INFO commandstats).
int64_t CommandCalls(storage::RedisSyncClient& redis, absl::string_view command) {
  absl::StatusOr<storage::RedisReply> info = redis.Command({"INFO", "commandstats"});
  if (!info.ok()) return -1;
  const std::string prefix = absl::StrCat("cmdstat_", command, ":calls=");
  for (absl::string_view line : absl::StrSplit(info->text(), "\r\n")) {
    if (!absl::StartsWith(line, prefix)) continue;
    line.remove_prefix(prefix.size());
    int64_t calls = 0;
    if (absl::SimpleAtoi(line.substr(0, line.find(',')), &calls)) return calls;
  }
  return 0;
}

TEST_F(CalendarAppTest, ARepeatedPageIsServedFromTheCacheUntilTheCalendarChanges) {
  std::vector<std::string> ids = CreateAll();
  EventQuery q;
  q.from = absl::FromCivil(absl::CivilDay(2021, 1, 1), absl::UTCTimeZone());
  q.to = absl::FromCivil(absl::CivilDay(2023, 1, 1), absl::UTCTimeZone());
  q.page_size = 3;
  auto titles = [&](const EventQuery& query) {
    std::vector<std::string> out;
    absl::StatusOr<EventPage> p = List(query);
    EXPECT_TRUE(p.ok()) << p.status();
    if (p.ok()) {
      for (const core::Event& e : p->events) out.push_back(e.title);
    }
    return out;
  };
  const std::vector<std::string> first = titles(q);
  ASSERT_EQ(first.size(), 3u);

  // Asked again: the same page, read without the page script or documents.
  const int64_t scripts = CommandCalls(*sync_, "evalsha");
  const int64_t documents = CommandCalls(*sync_, "hmget");
  EXPECT_EQ(titles(q), first);
  EXPECT_EQ(CommandCalls(*sync_, "evalsha"), scripts);
  EXPECT_EQ(CommandCalls(*sync_, "hmget"), documents);

  // Every kind of change shows at once: a rename, a new event, a cancel.
  absl::StatusOr<core::Event> cop2 = Get(ids[testing_util::kTurinWorkshop]);
  ASSERT_TRUE(cop2.ok());
  v1::Event patch;
  patch.set_id(cop2->id);
  patch.set_title("CoP1 2nd workshop (moved rooms)");
  ASSERT_TRUE(Update(patch, {"title"}, cop2->revision).ok());
  std::vector<std::string> renamed = first;
  std::replace(renamed.begin(), renamed.end(), std::string("CoP1 2nd workshop"),
               std::string("CoP1 2nd workshop (moved rooms)"));
  ASSERT_NE(renamed, first);
  EXPECT_EQ(titles(q), renamed);

  core::Event early = ConnectionCalendar()[testing_util::kTurinWorkshop];
  early.title = "An earlier kick-off";
  early.start_local = absl::CivilSecond(2021, 2, 1, 10, 0, 0);
  early.end_local = absl::CivilSecond(2021, 2, 1, 12, 0, 0);
  early.sessions.clear();
  ASSERT_TRUE(Create("early", early).ok());
  std::vector<std::string> with_early = titles(q);
  ASSERT_EQ(with_early.size(), 3u);
  EXPECT_EQ(with_early[0], "An earlier kick-off");

  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                app_->CancelEvent(cop2->id, "venue unavailable", 0, std::move(done));
              }).ok());
  EventQuery cancelled = q;
  cancelled.status = core::EventStatus::kCancelled;
  EXPECT_THAT(titles(cancelled), ::testing::ElementsAre("CoP1 2nd workshop (moved rooms)"));
}

// Model-based: random creates, renames, moves and cancels between random
// window queries, each paged through in full and often asked twice (the
// second time from the page cache), against an independent tally of what
// each window must list. Whatever the cache keeps, a listing must always be
// what the calendar holds now.
TEST_F(CalendarAppTest, EveryListingMatchesAnIndependentTallyAcrossRandomChanges) {
  struct Kept {
    std::string id;
    absl::Time start, end;
    bool cancelled = false;
    std::string city;
    std::string title;
    int64_t revision = 0;
  };
  std::vector<Kept> model;
  const std::vector<std::string> cities = {"Brussels", "Torino", "Utrecht"};
  std::mt19937 rng(20261207);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto local = [](absl::CivilDay day, int hour) {
    return absl::StrFormat("%04d-%02d-%02dT%02d:00", day.year(), day.month(), day.day(), hour);
  };
  auto keep = [&](const core::Event& e) {
    for (Kept& k : model) {
      if (k.id == e.id) {
        k = {e.id, e.start, e.end, e.status == core::EventStatus::kCancelled, e.city, e.title,
             e.revision};
        return;
      }
    }
    model.push_back({e.id, e.start, e.end, e.status == core::EventStatus::kCancelled, e.city,
                     e.title, e.revision});
  };
  const absl::CivilDay first_day(2030, 1, 1);
  int listings = 0;
  for (int step = 0; step < 160; ++step) {
    const int op = model.empty() ? 0 : pick(10);
    if (op <= 2) {  // create
      core::Event e = ConnectionCalendar()[testing_util::kTurinWorkshop];
      e.sessions.clear();
      e.city = cities[pick(3)];
      e.title = absl::StrCat("Workshop ", step);
      const absl::CivilDay day = first_day + pick(60);
      e.start_local = absl::CivilSecond(day.year(), day.month(), day.day(), 10, 0, 0);
      const absl::CivilDay last = day + pick(3);
      e.end_local = absl::CivilSecond(last.year(), last.month(), last.day(), 12, 0, 0);
      absl::StatusOr<core::Event> made = Create(absl::StrCat("model-", step), e);
      ASSERT_TRUE(made.ok()) << made.status();
      keep(*made);
    } else if (op <= 4) {  // rename or move a scheduled event (a cancelled one stays as it is)
      std::vector<Kept*> scheduled;
      for (Kept& k : model) {
        if (!k.cancelled) scheduled.push_back(&k);
      }
      if (scheduled.empty()) continue;
      Kept& k = *scheduled[pick(static_cast<int>(scheduled.size()))];
      v1::Event patch;
      patch.set_id(k.id);
      std::vector<std::string> mask;
      if (pick(2) == 0) {
        patch.set_title(absl::StrCat(k.title, "*"));
        mask = {"title"};
      } else {
        const absl::CivilDay day = first_day + pick(60);
        patch.set_start_local(local(day, 9));
        patch.set_end_local(local(day + pick(3), 17));
        mask = {"start_local", "end_local"};
      }
      absl::StatusOr<core::Event> changed = Update(patch, mask, k.revision);
      ASSERT_TRUE(changed.ok()) << changed.status();
      keep(*changed);
    } else if (op == 5) {  // cancel
      Kept& k = model[pick(static_cast<int>(model.size()))];
      absl::StatusOr<core::Event> c = Await<core::Event>([&](auto done) {
        app_->CancelEvent(k.id, "model", 0, std::move(done));
      });
      ASSERT_TRUE(c.ok()) << c.status();
      keep(*c);
    } else {  // list a random window in full, maybe twice
      EventQuery q;
      if (pick(4) != 0) {
        q.from = absl::FromCivil(first_day + pick(60), absl::UTCTimeZone());
        q.to = *q.from + absl::Hours(24 * (1 + pick(20)));
      }
      if (pick(3) == 0) q.city = cities[pick(3)];
      if (pick(4) == 0) {
        q.status = pick(2) == 0 ? core::EventStatus::kCancelled : core::EventStatus::kScheduled;
      }
      q.page_size = 1 + pick(7);
      std::vector<const Kept*> want;
      for (const Kept& k : model) {
        if (q.from && !(k.end > *q.from)) continue;
        if (q.to && !(k.start < *q.to)) continue;
        if (!q.city.empty() && k.city != q.city) continue;
        if (q.status && k.cancelled != (*q.status == core::EventStatus::kCancelled)) continue;
        want.push_back(&k);
      }
      std::sort(want.begin(), want.end(), [](const Kept* a, const Kept* b) {
        return std::tie(a->start, a->id) < std::tie(b->start, b->id);
      });
      std::vector<std::string> expected;
      for (const Kept* k : want) {
        expected.push_back(absl::StrCat(k->id, " r", k->revision, " ", k->title));
      }
      for (int round = 0, rounds = 1 + pick(2); round < rounds; ++round) {
        std::vector<std::string> got;
        EventQuery paged = q;
        for (int page = 0; page < 100; ++page) {
          absl::StatusOr<EventPage> p = List(paged);
          ASSERT_TRUE(p.ok()) << p.status();
          for (const core::Event& e : p->events) {
            got.push_back(absl::StrCat(e.id, " r", e.revision, " ", e.title));
          }
          if (p->next_page_token.empty()) break;
          paged.page_token = p->next_page_token;
        }
        ASSERT_EQ(got, expected) << "step " << step << ", round " << round;
        ++listings;
      }
    }
  }
  EXPECT_GT(listings, 40);
}

TEST_F(CalendarAppTest, ACachedPageIsTheEncodedResponseOfItsDocuments) {
  CreateAll();
  EventQuery q;
  q.page_size = 2;
  for (int round = 0; round < 2; ++round) {  // read, then from the cache
    absl::StatusOr<std::shared_ptr<const EventDocumentPage>> page =
        Await<std::shared_ptr<const EventDocumentPage>>(
            [&](auto done) { app_->ListEventDocuments(q, std::move(done)); });
    ASSERT_TRUE(page.ok()) << page.status();
    v1::ListEventsResponse wire;
    ASSERT_TRUE(wire.ParseFromString((*page)->response));
    ASSERT_EQ(wire.events_size(), 2);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(wire.events(i).SerializeAsString(), (*page)->documents[i]) << round;
    }
    EXPECT_FALSE(wire.next_page_token().empty());
    EXPECT_EQ(wire.next_page_token(), (*page)->next_page_token);
    EXPECT_EQ(wire.sync_token(), (*page)->sync_token);
  }
}

// ListEvents decodes each event, which checks it, so the page it reads is
// encoded for the wire and kept without parsing each document again; the
// raw listing of the same page afterwards comes from the cache and must be
// that page, fully encoded.
TEST_F(CalendarAppTest, APageReadByADecodedListingIsKeptEncodedForTheWire) {
  CreateAll();
  EventQuery q;
  q.page_size = 2;
  absl::StatusOr<EventPage> decoded = List(q);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->events.size(), 2u);
  const int64_t page_reads = CommandCalls(*sync_, "evalsha");
  absl::StatusOr<std::shared_ptr<const EventDocumentPage>> raw =
      Await<std::shared_ptr<const EventDocumentPage>>(
          [&](auto done) { app_->ListEventDocuments(q, std::move(done)); });
  ASSERT_TRUE(raw.ok()) << raw.status();
  v1::ListEventsResponse wire;
  ASSERT_TRUE(wire.ParseFromString((*raw)->response));
  ASSERT_EQ(wire.events_size(), 2);
  for (int i = 0; i < 2; ++i) EXPECT_EQ(wire.events(i).id(), decoded->events[i].id);
  EXPECT_EQ(wire.next_page_token(), decoded->next_page_token);
  EXPECT_EQ(CommandCalls(*sync_, "evalsha"), page_reads) << "the page came from the cache";
}

// A stored document that does not parse fails both listings with DATA_LOSS,
// whether or not the page is encoded for the wire.
TEST_F(CalendarAppTest, ADocumentThatDoesNotParseFailsBothListings) {
  CreateAll();
  EventQuery q;
  q.page_size = 2;
  absl::StatusOr<EventPage> before = List(q);
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(sync_->Command({"HSET", storage::keys::CalendarDocuments(),
                              before->events[0].id, "\xff\xff not a message"})
                  .ok());
  // Moves the calendar's head, as every write does, so no page is kept.
  ASSERT_TRUE(sync_->Command({"XADD", storage::keys::CalendarChanges(), "*", "kind", "test"}).ok());
  absl::StatusOr<EventPage> decoded = List(q);
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kDataLoss) << decoded.status();
  absl::StatusOr<std::shared_ptr<const EventDocumentPage>> raw =
      Await<std::shared_ptr<const EventDocumentPage>>(
          [&](auto done) { app_->ListEventDocuments(q, std::move(done)); });
  EXPECT_EQ(raw.status().code(), absl::StatusCode::kDataLoss) << raw.status();
}

TEST(EventPageCache, AnswersOnlyAtTheHeadItWasReadAtAndStaysBounded) {
  EventPageCache cache(/*max_pages=*/2);
  auto page = [](std::string token) {
    auto p = std::make_shared<EventDocumentPage>();
    p->sync_token = token;
    p->response = "bytes of " + token;
    return std::shared_ptr<const EventDocumentPage>(std::move(p));
  };
  cache.Put("head-1", "q1", page("head-1"));
  ASSERT_NE(cache.Find("head-1", "q1"), nullptr);
  EXPECT_EQ(cache.Find("head-1", "q1")->response, "bytes of head-1");
  EXPECT_EQ(cache.Find("head-2", "q1"), nullptr);
  EXPECT_EQ(cache.Find("head-1", "q2"), nullptr);
  cache.Put("head-1", "q2", page("head-1"));
  EXPECT_EQ(cache.size(), 2u);
  cache.Put("head-1", "q3", page("head-1"));  // full: starts over
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.Find("head-1", "q3"), nullptr);
  cache.Put("head-2", "q1", page("head-2"));  // a newer head drops the rest
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_EQ(cache.Find("head-1", "q3"), nullptr);
  EXPECT_NE(cache.Find("head-2", "q1"), nullptr);
}

TEST(AgendaCache, AnswersOnlyForTheSameDocumentAndZoneAndStaysBounded) {
  AgendaCache cache(2);
  auto answer = std::make_shared<AgendaAnswer>();
  answer->agenda.title = "A";
  cache.Put("ev_1", "Asia/Tokyo", "doc-1", answer);
  ASSERT_NE(cache.Find("ev_1", "Asia/Tokyo", "doc-1"), nullptr);
  EXPECT_EQ(cache.Find("ev_1", "Asia/Tokyo", "doc-1")->agenda.title, "A");
  EXPECT_EQ(cache.Find("ev_1", "Asia/Tokyo", "doc-2"), nullptr);
  EXPECT_EQ(cache.Find("ev_1", "Europe/Rome", "doc-1"), nullptr);
  EXPECT_EQ(cache.Find("ev_2", "Asia/Tokyo", "doc-1"), nullptr);
  cache.Put("ev_2", "", "doc-x", answer);
  EXPECT_EQ(cache.size(), 2u);
  cache.Put("ev_3", "", "doc-y", answer);  // full: starts over
  EXPECT_EQ(cache.size(), 1u);
  EXPECT_NE(cache.Find("ev_3", "", "doc-y"), nullptr);
}

}  // namespace
}  // namespace convene::calendar
