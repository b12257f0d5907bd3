// AttendanceApp against a real, private redis-server, on events the
// calendar created (the attendance sheet is the calendar's to write).
#include "attendance/attendance_app.h"

#include <algorithm>
#include <cctype>
#include <atomic>
#include <memory>
#include <thread>

#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "calendar/calendar_app.h"
#include "core/fake_clock.h"
#include "core/local_date_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "attendance/attendance_store.h"
#include "calendar/calendar_store.h"
#include "attendance/event_sheet_store.h"
#include "storage/keys.h"
#include "storage/redis_address.h"
#include "storage/redis_sync_client.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_snapshot.h"
#include "testing_util/redis_test.h"

namespace convene::attendance {
namespace {

using ::testing::HasSubstr;
using core::AttendanceMode;
using core::RegistrationStatus;

using testing_util::Await;

core::ParticipantInfo Partner(const std::string& id, const std::string& city) {
  return {id, "Partner " + id, id + "@example.org", "City of " + city, city,
          "IT", "Europe/Rome", "it"};
}

class AttendanceAppTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    storage::RedisClientOptions options;
    options.address = *storage::RedisAddress::Parse(redis_address());
    redis_ = *storage::RedisClient::Start(options);
    calendar_store_ = std::make_unique<storage::CalendarStore>(*redis_);
    sheets_ = std::make_unique<storage::EventSheetStore>(*redis_);
    builder_ = std::make_unique<SheetBuilder>(*redis_, *sheets_);
    calendar_ = std::make_unique<calendar::CalendarApp>(*calendar_store_, clock_);
    store_ = std::make_unique<storage::AttendanceStore>(*redis_);
    app_ = std::make_unique<AttendanceApp>(*store_, clock_, builder_.get());
  }

  // What the sheet follower does in the service: the event's newest change
  // becomes its attendance sheet.
  void FollowCalendar(const std::string& event) {
    absl::StatusOr<bool> found =
        Await<bool>([&](auto done) { builder_->CatchUp(event, std::move(done)); });
    ASSERT_TRUE(found.ok()) << found.status();
    ASSERT_TRUE(*found) << event;
  }

  std::string CreateEvent(core::Event e, const std::string& request_id) {
    absl::StatusOr<core::Event> made = Await<core::Event>([&](auto done) {
      calendar_->CreateEvent(request_id, e, std::move(done));
    });
    EXPECT_TRUE(made.ok()) << made.status();
    if (made.ok()) FollowCalendar(made->id);
    return made.ok() ? made->id : "";
  }
  std::string Thessaloniki(int in_person_seats = 25) {
    core::Event e = testing_util::ConnectionCalendar()[testing_util::kThessalonikiWorkshop];
    e.venue.in_person_capacity = in_person_seats;
    return CreateEvent(e, "thessaloniki-" + std::to_string(in_person_seats));
  }
  absl::StatusOr<core::Registration> Register(
      const std::string& event, const std::string& request,
      core::ParticipantInfo p, std::optional<AttendanceMode> mode,
      std::vector<RequestedDay> days = {}) {
    return Await<core::Registration>([&](auto done) {
      app_->Register(event, request, p, mode, days, std::move(done));
    });
  }

  core::FakeClock clock_{absl::FromCivil(absl::CivilSecond(2022, 3, 1, 10, 0, 0),
                                         absl::UTCTimeZone())};
  std::unique_ptr<storage::RedisClient> redis_;
  std::unique_ptr<storage::CalendarStore> calendar_store_;
  std::unique_ptr<storage::EventSheetStore> sheets_;
  std::unique_ptr<SheetBuilder> builder_;
  std::unique_ptr<calendar::CalendarApp> calendar_;
  std::unique_ptr<storage::AttendanceStore> store_;
  std::unique_ptr<AttendanceApp> app_;
};

TEST_F(AttendanceAppTest, RegistersForEveryDayInOneMode) {
  const std::string event = Thessaloniki();
  absl::StatusOr<core::Registration> r =
      Register(event, "r1", Partner("torino-1", "Torino"), AttendanceMode::kInPerson);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, RegistrationStatus::kConfirmed);
  ASSERT_EQ(r->days.size(), 3u);
  for (const core::RegistrationDay& d : r->days) {
    EXPECT_EQ(d.mode, AttendanceMode::kInPerson);
    EXPECT_EQ(d.status, RegistrationStatus::kConfirmed);
  }
  EXPECT_EQ(r->participant.email, "torino-1@example.org");
  EXPECT_EQ(r->create_time, clock_.Now());
  absl::StatusOr<core::Registration> read = Await<core::Registration>(
      [&](auto done) { app_->GetRegistration(event, "torino-1", std::move(done)); });
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(read->participant.display_name, "Partner torino-1");
  EXPECT_EQ(read->days.size(), 3u);
}

TEST_F(AttendanceAppTest, TakesAModePerDay) {
  const std::string event = Thessaloniki();
  // In the room on day 1, online on day 2 (flight home), not on day 3.
  absl::StatusOr<core::Registration> r = Register(
      event, "r1", Partner("paris-1", "Paris"), std::nullopt,
      {{absl::CivilDay(2022, 3, 16), AttendanceMode::kOnline},
       {absl::CivilDay(2022, 3, 15), AttendanceMode::kInPerson}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->days.size(), 2u);
  EXPECT_EQ(r->days[0].date, absl::CivilDay(2022, 3, 15));
  EXPECT_EQ(r->days[0].mode, AttendanceMode::kInPerson);
  EXPECT_EQ(r->days[1].mode, AttendanceMode::kOnline);
}

TEST_F(AttendanceAppTest, ARetryReturnsTheFirstResultAndTakesNoSecondSeat) {
  const std::string event = Thessaloniki(1);
  ASSERT_TRUE(Register(event, "same", Partner("a", "Torino"), AttendanceMode::kInPerson).ok());
  absl::StatusOr<core::Registration> again =
      Register(event, "same", Partner("a", "Torino"), AttendanceMode::kInPerson);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->status, RegistrationStatus::kConfirmed);
  EXPECT_EQ(again->revision, 1);
  // The retry took no second seat: the next person waits.
  absl::StatusOr<core::Registration> other =
      Register(event, "other", Partner("b", "Paris"), AttendanceMode::kInPerson);
  EXPECT_EQ(other->status, RegistrationStatus::kWaitlisted);
}

TEST_F(AttendanceAppTest, RefusesBadInputAndWritesNothing) {
  const std::string event = Thessaloniki();
  storage::RedisSyncClient sync(*redis_);
  const std::string before = testing_util::RedisSnapshot(sync);
  ASSERT_THAT(before, HasSubstr(storage::keys::EventSheet(event)));
  auto code = [&](absl::StatusOr<core::Registration> r) { return r.status().code(); };
  EXPECT_EQ(code(Register("ev_unknown", "x1", Partner("a", "Torino"), AttendanceMode::kOnline)),
            absl::StatusCode::kNotFound);
  absl::StatusOr<core::Registration> outside = Register(
      event, "x2", Partner("a", "Torino"), std::nullopt,
      {{absl::CivilDay(2022, 3, 18), AttendanceMode::kOnline}});
  EXPECT_EQ(code(outside), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(outside.status().message()), HasSubstr("days[0].date"));
  core::ParticipantInfo no_name = Partner("a", "Torino");
  no_name.display_name.clear();
  EXPECT_EQ(code(Register(event, "x3", no_name, AttendanceMode::kOnline)),
            absl::StatusCode::kInvalidArgument);
  core::ParticipantInfo bad_zone = Partner("a", "Torino");
  bad_zone.time_zone = "Europe/Turin";
  EXPECT_EQ(code(Register(event, "x4", bad_zone, AttendanceMode::kOnline)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(Register(event, "x5", Partner("a", "Torino"), std::nullopt)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(testing_util::RedisSnapshot(sync), before);

  // An in-person-only event has no online places.
  const std::string turin =
      CreateEvent(testing_util::ConnectionCalendar()[testing_util::kTurinWorkshop], "turin");
  EXPECT_EQ(code(Register(turin, "x6", Partner("a", "Torino"), AttendanceMode::kOnline)),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(Register(event, "x7", Partner("a", "Torino"), AttendanceMode::kOnline).ok());
  EXPECT_EQ(code(Register(event, "x8", Partner("a", "Torino"), AttendanceMode::kOnline)),
            absl::StatusCode::kAlreadyExists);
}

TEST_F(AttendanceAppTest, RegistrationsForACancelledEventAreRefused) {
  const std::string event = Thessaloniki();
  ASSERT_TRUE(Await<core::Event>([&](auto done) {
                calendar_->CancelEvent(event, "postponed", 0, std::move(done));
              }).ok());
  FollowCalendar(event);
  EXPECT_EQ(Register(event, "c1", Partner("a", "Torino"), AttendanceMode::kOnline)
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AttendanceAppTest, TwoHundredConcurrentRegistrationsFillFiftySeatsInFifoOrder) {
  core::Event e = testing_util::ConnectionCalendar()[testing_util::kTurinWorkshop];
  e.venue.in_person_capacity = 50;
  const std::string event = CreateEvent(e, "turin-50");
  // Real concurrency: 8 threads, each with its own Redis connection and app,
  // fire 25 registrations each without waiting for one another.
  constexpr int kThreads = 8, kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> confirmed = 0, waitlisted = 0, failed = 0;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      storage::RedisClientOptions options;
      options.address = *storage::RedisAddress::Parse(redis_address());
      auto redis = *storage::RedisClient::Start(options);
      storage::AttendanceStore store(*redis);
      AttendanceApp app(store, clock_);
      absl::Mutex mu;
      int pending = kPerThread;
      for (int i = 0; i < kPerThread; ++i) {
        const std::string id = "p" + std::to_string(t * kPerThread + i);
        app.Register(event, "req-" + id, Partner(id, "Torino"),
                     AttendanceMode::kInPerson, {},
                     [&](absl::StatusOr<core::Registration> r) {
                       if (!r.ok()) {
                         ++failed;
                       } else if (r->status == RegistrationStatus::kConfirmed) {
                         ++confirmed;
                       } else {
                         ++waitlisted;
                       }
                       absl::MutexLock lock(&mu);
                       --pending;
                     });
      }
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(+[](int* n) { return *n == 0; }, &pending));
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(confirmed, 50);
  EXPECT_EQ(waitlisted, 150);

  // FIFO: the waitlist holds the 150 in arrival order, and each one's stored
  // position is its place in it.
  storage::RedisSyncClient sync(*redis_);
  absl::StatusOr<storage::RedisReply> queue = sync.Command(
      {"ZRANGE", storage::keys::WaitlistPrefix(event) + "2021-10-11:in_person", "0", "-1"});
  ASSERT_TRUE(queue.ok());
  ASSERT_EQ(queue->elements().size(), 150u);
  for (int i = 0; i < 150; i += 37) {
    const std::string pid = queue->elements()[i].text();
    absl::StatusOr<core::Registration> r = Await<core::Registration>(
        [&](auto done) { app_->GetRegistration(event, pid, std::move(done)); });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->days[0].status, RegistrationStatus::kWaitlisted);
    EXPECT_EQ(r->days[0].waitlist_position, i + 1);
  }
  // The seat counter agrees with the stored registrations.
  EXPECT_EQ(sync.Command({"HGET", storage::keys::DayCounters(event, "2021-10-11"),
                          "reg:2021-10-11:in_person"})->text(), "50");

  // Cancelling 5 confirmed promotes exactly the first 5 waitlisted.
  std::vector<std::string> confirmed_ids;
  for (int i = 0; i < 200 && confirmed_ids.size() < 5; ++i) {
    const std::string id = "p" + std::to_string(i);
    absl::StatusOr<core::Registration> r = Await<core::Registration>(
        [&](auto done) { app_->GetRegistration(event, id, std::move(done)); });
    if (r.ok() && r->status == RegistrationStatus::kConfirmed) confirmed_ids.push_back(id);
  }
  ASSERT_EQ(confirmed_ids.size(), 5u);
  for (const std::string& id : confirmed_ids) {
    absl::StatusOr<core::Registration> c = Await<core::Registration>([&](auto done) {
      app_->CancelRegistration(event, "cancel-" + id, id, {}, "", std::move(done));
    });
    ASSERT_TRUE(c.ok()) << c.status();
    EXPECT_EQ(c->status, RegistrationStatus::kCancelled);
  }
  for (int i = 0; i < 150; ++i) {
    const std::string pid = queue->elements()[i].text();
    absl::StatusOr<core::Registration> r = Await<core::Registration>(
        [&](auto done) { app_->GetRegistration(event, pid, std::move(done)); });
    ASSERT_TRUE(r.ok());
    if (i < 5) {
      EXPECT_EQ(r->status, RegistrationStatus::kConfirmed) << "waitlisted #" << i + 1;
    } else {
      EXPECT_EQ(r->status, RegistrationStatus::kWaitlisted);
      EXPECT_EQ(r->days[0].waitlist_position, i + 1 - 5);
    }
  }
  EXPECT_EQ(sync.Command({"HGET", storage::keys::DayCounters(event, "2021-10-11"),
                          "reg:2021-10-11:in_person"})->text(), "50");
  EXPECT_EQ(sync.Command({"HGET", storage::keys::DayCounters(event, "2021-10-11"),
                          "wait:2021-10-11:in_person"})->text(), "145");
}

TEST_F(AttendanceAppTest, CancellingOneDayFreesThatDaysSeatOnly) {
  const std::string event = Thessaloniki(1);
  ASSERT_TRUE(Register(event, "a", Partner("a", "Torino"), AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(Register(event, "b", Partner("b", "Paris"), AttendanceMode::kInPerson).ok());
  absl::StatusOr<core::Registration> a = Await<core::Registration>([&](auto done) {
    app_->CancelRegistration(event, "cancel-a-16", "a", {absl::CivilDay(2022, 3, 16)}, "",
                             std::move(done));
  });
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->status, RegistrationStatus::kConfirmed);  // days 15 and 17 stay
  EXPECT_EQ(a->days[1].status, RegistrationStatus::kCancelled);
  absl::StatusOr<core::Registration> b = Await<core::Registration>(
      [&](auto done) { app_->GetRegistration(event, "b", std::move(done)); });
  EXPECT_EQ(b->days[0].status, RegistrationStatus::kWaitlisted);
  EXPECT_EQ(b->days[1].status, RegistrationStatus::kConfirmed);  // promoted
  EXPECT_EQ(b->days[2].status, RegistrationStatus::kWaitlisted);
  EXPECT_EQ(b->revision, 2);
  EXPECT_EQ(Await<core::Registration>([&](auto done) {
              app_->CancelRegistration(event, "x", "nobody", {}, "", std::move(done));
            }).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(AttendanceAppTest, ChangingOneDaysModeFreesThatDaysSeatOnly) {
  const std::string event = Thessaloniki(1);
  const absl::CivilDay d2(2022, 3, 16);
  ASSERT_TRUE(Register(event, "a", Partner("paris-1", "Paris"), AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(Register(event, "b", Partner("zagreb-1", "Zagreb"), AttendanceMode::kInPerson).ok());
  // Paris flies home after day 1: day 2 online. Zagreb gets that day's seat.
  absl::StatusOr<core::Registration> paris = Await<core::Registration>([&](auto done) {
    app_->ChangeMode(event, "m1", "paris-1", std::nullopt, {{d2, AttendanceMode::kOnline}},
                     std::move(done));
  });
  ASSERT_TRUE(paris.ok()) << paris.status();
  EXPECT_EQ(paris->days[0].mode, AttendanceMode::kInPerson);
  EXPECT_EQ(paris->days[1].mode, AttendanceMode::kOnline);
  EXPECT_EQ(paris->days[1].status, RegistrationStatus::kConfirmed);
  EXPECT_EQ(paris->days[2].mode, AttendanceMode::kInPerson);
  absl::StatusOr<core::Registration> zagreb = Await<core::Registration>(
      [&](auto done) { app_->GetRegistration(event, "zagreb-1", std::move(done)); });
  EXPECT_EQ(zagreb->days[0].status, RegistrationStatus::kWaitlisted);
  EXPECT_EQ(zagreb->days[1].status, RegistrationStatus::kConfirmed);
  EXPECT_EQ(zagreb->days[2].status, RegistrationStatus::kWaitlisted);

  // Zagreb can no longer travel: everything online; Paris is alone in the room.
  absl::StatusOr<core::Registration> z = Await<core::Registration>([&](auto done) {
    app_->ChangeMode(event, "m2", "zagreb-1", AttendanceMode::kOnline, {}, std::move(done));
  });
  ASSERT_TRUE(z.ok()) << z.status();
  for (const core::RegistrationDay& d : z->days) {
    EXPECT_EQ(d.mode, AttendanceMode::kOnline);
    EXPECT_EQ(d.status, RegistrationStatus::kConfirmed);
  }
  absl::StatusOr<core::AttendanceCounts> counts = Await<core::AttendanceCounts>(
      [&](auto done) { app_->GetAttendanceCounts(event, std::move(done)); });
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->days[1].counts.registered_in_person, 0);
  EXPECT_EQ(counts->days[1].counts.registered_online, 2);
  EXPECT_EQ(counts->days[0].counts.registered_in_person, 1);
  EXPECT_EQ(counts->days[0].counts.waitlisted_in_person, 0);

  // The Turin workshop has no online places.
  const std::string turin =
      CreateEvent(testing_util::ConnectionCalendar()[testing_util::kTurinWorkshop], "turin");
  ASSERT_TRUE(Register(turin, "t", Partner("asti-1", "Asti"), AttendanceMode::kInPerson).ok());
  EXPECT_EQ(Await<core::Registration>([&](auto done) {
              app_->ChangeMode(turin, "m3", "asti-1", AttendanceMode::kOnline, {},
                               std::move(done));
            }).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(AttendanceAppTest, ListsRegistrationsInArrivalOrderFilteredAndPaged) {
  const std::string event = Thessaloniki(2);
  const char* cities[] = {"Torino", "Paris", "Zagreb", "Torino", "Sofia"};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Register(event, "r" + std::to_string(i),
                         Partner("p" + std::to_string(i), cities[i]),
                         i == 2 ? AttendanceMode::kOnline : AttendanceMode::kInPerson)
                    .ok());
  }
  auto list = [&](storage::RegistrationQuery q, std::string token) {
    q.event_id = event;
    return Await<AttendanceApp::ListPage>([&](auto done) {
      app_->ListRegistrations(q, token, std::move(done));
    });
  };
  // All, two per page, in arrival order.
  std::vector<std::string> ids;
  std::string token;
  storage::RegistrationQuery q;
  q.page_size = 2;
  for (int i = 0; i < 10; ++i) {
    absl::StatusOr<AttendanceApp::ListPage> page = list(q, token);
    ASSERT_TRUE(page.ok()) << page.status();
    for (const core::Registration& r : page->registrations) ids.push_back(r.participant.participant_id);
    token = page->next_page_token;
    if (token.empty()) break;
  }
  EXPECT_THAT(ids, ::testing::ElementsAre("p0", "p1", "p2", "p3", "p4"));
  // Filters: city; waitlisted in person (room of 2: p3 and p4 wait).
  storage::RegistrationQuery by_city;
  by_city.city = "Torino";
  EXPECT_EQ(list(by_city, "")->registrations.size(), 2u);
  storage::RegistrationQuery waiting;
  waiting.status = RegistrationStatus::kWaitlisted;
  waiting.mode = AttendanceMode::kInPerson;
  waiting.day = absl::CivilDay(2022, 3, 16);
  absl::StatusOr<AttendanceApp::ListPage> w = list(waiting, "");
  ASSERT_EQ(w->registrations.size(), 2u);
  EXPECT_EQ(w->registrations[0].participant.participant_id, "p3");
  EXPECT_EQ(w->registrations[0].days[1].waitlist_position, 1);
  // A token only works with its own filters.
  q.page_size = 1;
  std::string first = list(q, "")->next_page_token;
  EXPECT_EQ(list(by_city, first).status().code(), absl::StatusCode::kInvalidArgument);
  // A listing that ends exactly on a page's end says so on that page: no
  // token that leads to an empty page.
  q.page_size = 5;
  absl::StatusOr<AttendanceApp::ListPage> whole = list(q, "");
  ASSERT_TRUE(whole.ok()) << whole.status();
  EXPECT_EQ(whole->registrations.size(), 5u);
  EXPECT_EQ(whole->next_page_token, "");
  // One more page of it, filtered: the two of Torino, in one page of two.
  by_city.page_size = 2;
  absl::StatusOr<AttendanceApp::ListPage> torino = list(by_city, "");
  ASSERT_TRUE(torino.ok()) << torino.status();
  EXPECT_EQ(torino->registrations.size(), 2u);
  EXPECT_EQ(torino->next_page_token, "");
}

class CheckInTest : public AttendanceAppTest {
 protected:
  // Check-ins happen while the workshop runs: 2022-03-15 09:00 in
  // Thessaloniki (UTC+2), inside day 1's window (and day 2's, which opens
  // 12 hours before its 00:00), not day 3's.
  void SetUp() override {
    AttendanceAppTest::SetUp();
    clock_.SetNow(AthensTime(2022, 3, 15, 9, 0, 0));
  }
  static absl::Time AthensTime(int y, int mo, int d, int h, int mi, int s) {
    return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::FixedTimeZone(2 * 3600));
  }
  absl::StatusOr<core::CheckInRecord> CheckIn(
      const std::string& event, const std::string& request, const std::string& pid,
      std::optional<absl::CivilDay> day, const std::string& session,
      AttendanceMode mode, std::optional<core::ParticipantInfo> walk_in = {}) {
    storage::CheckInCommand c;
    c.event_id = event;
    c.request_id = request;
    c.participant_id = pid;
    c.day = day;
    c.session_id = session;
    c.mode = mode;
    c.source = mode == AttendanceMode::kOnline ? core::CheckInSource::kOnlineJoin
                                               : core::CheckInSource::kDesk;
    c.walk_in = walk_in;
    return Await<core::CheckInRecord>(
        [&](auto done) { app_->CheckIn(c, std::nullopt, std::move(done)); });
  }
  // A counter as stored: a field naming a date ("in:day:2022-03-15:online")
  // in that day's hash, any other in the event's.
  std::string Counter(const std::string& event, const std::string& field) {
    std::string key = storage::keys::Counters(event);
    for (size_t i = 0; i + 10 <= field.size(); ++i) {
      const std::string d = field.substr(i, 10);
      if (d[4] == '-' && d[7] == '-' && std::isdigit(static_cast<unsigned char>(d[0])) &&
          (i == 0 || field[i - 1] == ':')) {
        key = storage::keys::DayCounters(event, d);
        break;
      }
    }
    storage::RedisSyncClient sync(*redis_);
    absl::StatusOr<storage::RedisReply> r = sync.Command({"HGET", key, field});
    return r.ok() ? r->text() : "";
  }
};

TEST_F(CheckInTest, CountsAPersonOncePerDayAndMode) {
  const std::string event = Thessaloniki();
  ASSERT_TRUE(Register(event, "r", Partner("zagreb-1", "Zagreb"), AttendanceMode::kInPerson).ok());
  const absl::CivilDay day1(2022, 3, 15);
  absl::StatusOr<core::CheckInRecord> first =
      CheckIn(event, "c1", "zagreb-1", day1, "", AttendanceMode::kInPerson);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->check_in_time, clock_.Now());
  clock_.Advance(absl::Minutes(3));
  absl::StatusOr<core::CheckInRecord> again =
      CheckIn(event, "c2", "zagreb-1", day1, "", AttendanceMode::kInPerson);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(again->check_in_time, first->check_in_time);
  EXPECT_EQ(again->join_count, 2);
  EXPECT_EQ(Counter(event, "in:day:2022-03-15:in_person"), "1");
  // Group counters name the city in hex ("Zagreb"), never raw.
  EXPECT_EQ(Counter(event, "g:city:5a6167726562:in:day:2022-03-15:in_person"), "1");
  // The same person also joining online that day is a record of its own.
  ASSERT_FALSE(CheckIn(event, "c3", "zagreb-1", day1, "", AttendanceMode::kOnline)->duplicate);
}

// One rule for check-ins with and without an occurred time: the day's span
// at the venue (day 1 of the workshop starts 09:00; day 2 is a whole day)
// widened by the event's check_in_margin, on the venue's wall clock.
TEST_F(CheckInTest, AcceptsCheckInsOnlyInsideTheDaysWindow) {
  core::Event e = testing_util::ConnectionCalendar()[testing_util::kThessalonikiWorkshop];
  e.check_in_margin = absl::Hours(1);
  const std::string event = CreateEvent(e, "thessaloniki-margin");
  ASSERT_TRUE(Register(event, "r", Partner("zagreb-1", "Zagreb"), AttendanceMode::kOnline).ok());
  const absl::CivilDay day1(2022, 3, 15), day2(2022, 3, 16);
  auto check_in = [&](const std::string& request, absl::CivilDay day,
                      std::optional<absl::Time> at) {
    storage::CheckInCommand c;
    c.event_id = event;
    c.request_id = request;
    c.participant_id = "zagreb-1";
    c.day = day;
    c.mode = AttendanceMode::kOnline;
    c.source = core::CheckInSource::kOnlineJoin;
    return Await<core::CheckInRecord>(
        [&](auto done) { app_->CheckIn(c, at, std::move(done)); });
  };
  const auto refused = absl::StatusCode::kFailedPrecondition;
  ASSERT_EQ(e.start_local, absl::CivilSecond(2022, 3, 15, 9, 0, 0));
  // Day 1 opens at 08:00 local: one second before is refused, with the
  // window named on the venue's clock.
  absl::StatusOr<core::CheckInRecord> early =
      check_in("a", day1, AthensTime(2022, 3, 15, 7, 59, 59));
  EXPECT_EQ(early.status().code(), refused);
  EXPECT_THAT(early.status().message(),
              ::testing::HasSubstr("occurred_time: check-ins for 2022-03-15 are accepted from "
                                   "2022-03-15T08:00 EET (+02:00) to 2022-03-16T01:00 EET"));
  EXPECT_EQ(Counter(event, "in:day:2022-03-15:online"), "");
  EXPECT_TRUE(check_in("b", day1, AthensTime(2022, 3, 15, 8, 0, 0)).ok());
  // Day 2 runs 00:00-24:00: open from 23:00 the day before to 01:00 after.
  EXPECT_EQ(check_in("c", day2, AthensTime(2022, 3, 16, 1, 0, 1) + absl::Hours(24)).status().code(),
            refused);
  EXPECT_EQ(check_in("d", day2, AthensTime(2022, 3, 15, 22, 59, 59)).status().code(), refused);
  // No occurred time: now (day 1, 09:00) is judged the same way.
  EXPECT_EQ(check_in("e", day2, std::nullopt).status().code(), refused);
  clock_.SetNow(AthensTime(2022, 3, 15, 23, 0, 0));
  EXPECT_TRUE(check_in("f", day2, std::nullopt).ok());
  // An occurred time days ahead of now is fine when it is in the window
  // (the old "24 h ahead" rule was a second, different rule).
  clock_.SetNow(AthensTime(2022, 3, 1, 9, 0, 0));
  EXPECT_EQ(check_in("g", day1, std::nullopt).status().code(), refused);
  absl::StatusOr<core::CheckInRecord> ahead = check_in("h", day1, AthensTime(2022, 3, 15, 10, 0, 0));
  ASSERT_TRUE(ahead.ok()) << ahead.status();
  EXPECT_TRUE(ahead->duplicate);
  EXPECT_EQ(Counter(event, "in:day:2022-03-15:online"), "1");
  EXPECT_EQ(Counter(event, "in:day:2022-03-16:online"), "1");
}

TEST_F(CheckInTest, TwentyConcurrentIdenticalCheckInsCountOnce) {
  const std::string event = Thessaloniki();
  ASSERT_TRUE(Register(event, "r", Partner("sofia-1", "Sofia"), AttendanceMode::kInPerson).ok());
  std::vector<std::thread> threads;
  std::atomic<int> counted = 0, duplicates = 0, failed = 0;
  for (int t = 0; t < 20; ++t) {
    threads.emplace_back([&, t] {
      storage::RedisClientOptions options;
      options.address = *storage::RedisAddress::Parse(redis_address());
      auto redis = *storage::RedisClient::Start(options);
      storage::AttendanceStore store(*redis);
      AttendanceApp app(store, clock_);
      storage::CheckInCommand c;
      c.event_id = event;
      c.request_id = "scan-" + std::to_string(t);
      c.participant_id = "sofia-1";
      c.session_id = "s1";
      c.mode = AttendanceMode::kInPerson;
      c.source = core::CheckInSource::kBadge;
      absl::StatusOr<core::CheckInRecord> r = Await<core::CheckInRecord>(
          [&](auto done) { app.CheckIn(c, std::nullopt, std::move(done)); });
      if (!r.ok()) ++failed;
      else if (r->duplicate) ++duplicates;
      else ++counted;
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(counted, 1);
  EXPECT_EQ(duplicates, 19);
  EXPECT_EQ(Counter(event, "in:session:s1:in_person"), "1");
}

TEST_F(CheckInTest, RefusesWhoMayNotBeThere) {
  const std::string event = Thessaloniki();
  ASSERT_TRUE(Register(event, "r1", Partner("online-1", "Tampere"), AttendanceMode::kOnline).ok());
  ASSERT_TRUE(Register(event, "r2", Partner("room-1", "Torino"), AttendanceMode::kInPerson).ok());
  const absl::CivilDay day1(2022, 3, 15);
  auto code = [](const absl::StatusOr<core::CheckInRecord>& r) { return r.status().code(); };
  // Not registered, and the workshop takes no walk-ins.
  EXPECT_EQ(code(CheckIn(event, "x1", "stranger", day1, "", AttendanceMode::kInPerson)),
            absl::StatusCode::kFailedPrecondition);
  // An online place is not a seat in the room.
  EXPECT_EQ(code(CheckIn(event, "x2", "online-1", day1, "", AttendanceMode::kInPerson)),
            absl::StatusCode::kFailedPrecondition);
  // The guided tour (s2) is in person only: no online join to it.
  absl::StatusOr<core::CheckInRecord> tour =
      CheckIn(event, "x3", "online-1", std::nullopt, "s2", AttendanceMode::kOnline);
  EXPECT_EQ(code(tour), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(tour.status().message()), HasSubstr("in_person only"));
  EXPECT_EQ(code(CheckIn(event, "x4", "room-1", std::nullopt, "s99", AttendanceMode::kInPerson)),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(code(CheckIn(event, "x5", "room-1", absl::CivilDay(2022, 3, 20), "",
                         AttendanceMode::kInPerson)),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(CheckIn(event, "x6", "room-1", day1, "s1", AttendanceMode::kInPerson)),
            absl::StatusCode::kInvalidArgument);
  // An in-person registrant may also join online.
  EXPECT_TRUE(CheckIn(event, "x7", "room-1", day1, "", AttendanceMode::kOnline).ok());
}

TEST_F(CheckInTest, OnlineJoinsAndLeavesGiveFirstJoinAndLastLeave) {
  const std::string event = Thessaloniki();
  ASSERT_TRUE(Register(event, "r", Partner("tampere-1", "Tampere"), AttendanceMode::kOnline).ok());
  const absl::CivilDay day1(2022, 3, 15);
  const absl::Time joined = clock_.Now();
  ASSERT_TRUE(CheckIn(event, "j1", "tampere-1", day1, "", AttendanceMode::kOnline).ok());
  auto leave = [&](const std::string& request, absl::Time at) {
    storage::CheckInCommand c;
    c.event_id = event;
    c.request_id = request;
    c.participant_id = "tampere-1";
    c.day = day1;
    c.source = core::CheckInSource::kOnlineLeave;
    return Await<core::CheckInRecord>(
        [&](auto done) { app_->CheckOut(c, at, std::move(done)); });
  };
  ASSERT_TRUE(leave("l1", joined + absl::Minutes(50)).ok());
  clock_.Advance(absl::Minutes(55));
  ASSERT_TRUE(CheckIn(event, "j2", "tampere-1", day1, "", AttendanceMode::kOnline)->duplicate);
  absl::StatusOr<core::CheckInRecord> last = leave("l2", joined + absl::Hours(3));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(last->join_count, 2);
  EXPECT_EQ(last->check_in_time, joined);
  EXPECT_EQ(last->last_leave_time, joined + absl::Hours(3));
  absl::StatusOr<core::AttendanceCounts> counts = Await<core::AttendanceCounts>(
      [&](auto done) { app_->GetAttendanceCounts(event, std::move(done)); });
  EXPECT_EQ(counts->days[0].unique.online_only, 1);
  EXPECT_EQ(counts->days[0].unique.first_online_join, joined);
  EXPECT_EQ(counts->days[0].unique.last_online_leave, joined + absl::Hours(3));
  // No join, no leave.
  storage::CheckInCommand c;
  c.event_id = event;
  c.request_id = "l3";
  c.participant_id = "nobody";
  c.day = day1;
  c.source = core::CheckInSource::kOnlineLeave;
  EXPECT_EQ(Await<core::CheckInRecord>([&](auto done) {
              app_->CheckOut(c, std::nullopt, std::move(done));
            }).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CheckInTest, ExportsASignInSheetFromTheStoredRecords) {
  const std::string event = Thessaloniki();
  core::ParticipantInfo tricky = Partner("torino-1", "Torino");
  tricky.display_name = "Rossi, \"Gigi\"";
  tricky.organisation = "=HYPERLINK(\"x\")";
  ASSERT_TRUE(Register(event, "r1", tricky, AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(Register(event, "r2", Partner("paris-1", "Paris"), std::nullopt,
                       {{absl::CivilDay(2022, 3, 16), AttendanceMode::kOnline}})
                  .ok());
  // 07:40Z is 09:40 in Thessaloniki; the session check-in at 09:05 is earlier.
  clock_.SetNow(absl::FromCivil(absl::CivilSecond(2022, 3, 15, 7, 40, 0), absl::UTCTimeZone()));
  ASSERT_TRUE(CheckIn(event, "c1", "torino-1", absl::CivilDay(2022, 3, 15), "",
                      AttendanceMode::kInPerson).ok());
  clock_.SetNow(absl::FromCivil(absl::CivilSecond(2022, 3, 15, 7, 5, 0), absl::UTCTimeZone()));
  ASSERT_TRUE(CheckIn(event, "c2", "torino-1", std::nullopt, "s1", AttendanceMode::kInPerson).ok());
  absl::StatusOr<AttendanceApp::Report> report = Await<AttendanceApp::Report>(
      [&](auto done) { app_->ExportAttendanceReport(event, std::move(done)); });
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->rows, 2);
  std::vector<std::string> lines = absl::StrSplit(report->csv, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "participant_id,name,organisation,city,country,walk_in,"
            "2022-03-15 mode,2022-03-15 status,2022-03-15 check-in,"
            "2022-03-15 check-in date,2022-03-15 check-in zone,"
            "2022-03-16 mode,2022-03-16 status,2022-03-16 check-in,"
            "2022-03-16 check-in date,2022-03-16 check-in zone,"
            "2022-03-17 mode,2022-03-17 status,2022-03-17 check-in,"
            "2022-03-17 check-in date,2022-03-17 check-in zone");
  EXPECT_EQ(lines[1],
            "torino-1,\"Rossi, \"\"Gigi\"\"\",\"'=HYPERLINK(\"\"x\"\")\",Torino,IT,no,"
            "in person,confirmed,09:05,2022-03-15,Europe/Athens +02:00,"
            "in person,confirmed,,,,in person,confirmed,,,");
  EXPECT_EQ(lines[2],
            "paris-1,Partner paris-1,City of Paris,Paris,IT,no,,,,,,online,confirmed,,,,,,,,");
}

TEST_F(CheckInTest, ForgettingErasesPersonalDataAndKeepsTheCounts) {
  const std::string event = Thessaloniki();
  core::ParticipantInfo p = Partner("zagreb-1", "Zagreb");
  p.display_name = "Ana Kovač";
  p.email = "ana.kovac@example.org";
  ASSERT_TRUE(Register(event, "r", p, AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(CheckIn(event, "c", "zagreb-1", absl::CivilDay(2022, 3, 15), "",
                      AttendanceMode::kInPerson).ok());
  storage::RedisSyncClient sync(*redis_);
  // The scan below reads every value: before erasure it finds the data.
  ASSERT_THAT(testing_util::RedisKeyspaceText(sync), HasSubstr("ana.kovac@"));
  absl::StatusOr<AttendanceApp::ForgetOutcome> erased =
      Await<AttendanceApp::ForgetOutcome>([&](auto done) {
        app_->ForgetParticipant(event, "zagreb-1", "f1",
                                "erasure request 2022-12-01", std::move(done));
      });
  ASSERT_TRUE(erased.ok()) << erased.status();
  EXPECT_EQ(erased->erased_now, 1);
  absl::StatusOr<core::Registration> r = Await<core::Registration>(
      [&](auto done) { app_->GetRegistration(event, "zagreb-1", std::move(done)); });
  EXPECT_TRUE(r->forgotten);
  EXPECT_EQ(r->participant.display_name, "");
  EXPECT_EQ(r->participant.email, "");
  EXPECT_EQ(r->days.size(), 3u);
  // No value in the attendance keys holds the name or the e-mail any more.
  const std::string everything = testing_util::RedisKeyspaceText(sync);
  EXPECT_THAT(everything, ::testing::Not(HasSubstr("Ana Kova")));
  EXPECT_THAT(everything, ::testing::Not(HasSubstr("ana.kovac@")));
  absl::StatusOr<core::AttendanceCounts> counts = Await<core::AttendanceCounts>(
      [&](auto done) { app_->GetAttendanceCounts(event, std::move(done)); });
  EXPECT_EQ(counts->days[0].counts.checked_in_in_person, 1);
  EXPECT_EQ(counts->days[0].counts.registered_in_person, 1);
  EXPECT_EQ(Await<AttendanceApp::ForgetOutcome>([&](auto done) {
              app_->ForgetParticipant(event, "zagreb-1", "f2", "", std::move(done));
            })->erased_now,
            0);
}

TEST_F(CheckInTest, ForgettingWithoutAnEventErasesEveryRegistrationOfThePerson) {
  const std::string thessaloniki = Thessaloniki();
  const std::string turin = CreateEvent(
      testing_util::ConnectionCalendar()[testing_util::kTurinWorkshop], "turin");
  CreateEvent(testing_util::ConnectionCalendar()[testing_util::kUtrechtConference],
              "utrecht");  // not registered there
  core::ParticipantInfo p = Partner("zagreb-1", "Zagreb");
  p.display_name = "Ana Kovač";
  p.email = "ana.kovac@example.org";
  ASSERT_TRUE(Register(thessaloniki, "r1", p, AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(Register(turin, "r2", p, AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(Register(turin, "r3", Partner("paris-1", "Paris"), AttendanceMode::kInPerson).ok());
  // Erased for Turin already: reported, not counted again.
  ASSERT_TRUE(Await<AttendanceApp::ForgetOutcome>([&](auto done) {
                app_->ForgetParticipant(turin, "zagreb-1", "f0", "", std::move(done));
              }).ok());

  absl::StatusOr<AttendanceApp::ForgetOutcome> erased =
      Await<AttendanceApp::ForgetOutcome>([&](auto done) {
        app_->ForgetParticipant("", "zagreb-1", "f1", "erasure request", std::move(done));
      });
  ASSERT_TRUE(erased.ok()) << erased.status();
  std::vector<std::string> expected = {thessaloniki, turin};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(erased->event_ids, expected);
  EXPECT_EQ(erased->erased_now, 1);
  storage::RedisSyncClient sync(*redis_);
  const std::string everything = testing_util::RedisKeyspaceText(sync);
  EXPECT_THAT(everything, ::testing::Not(HasSubstr("ana.kovac@")));
  EXPECT_THAT(everything, ::testing::Not(HasSubstr("Ana Kova")));
  // Others keep their data (and the scan reads every value).
  EXPECT_THAT(everything, HasSubstr("paris-1@example.org"));
  EXPECT_EQ(Await<AttendanceApp::ForgetOutcome>([&](auto done) {
              app_->ForgetParticipant("", "nobody", "f2", "", std::move(done));
            }).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CheckInTest, WalkInsGetASeatWhileTheRoomHasOne) {
  core::Event e = testing_util::ConnectionCalendar()[testing_util::kTurinWorkshop];
  e.venue.in_person_capacity = 1;
  e.allow_walk_ins = true;
  const std::string event = CreateEvent(e, "turin-walk-ins");
  const absl::CivilDay day(2021, 10, 11);
  // 09:30 in Turin (UTC+2), on the day.
  clock_.SetNow(absl::FromCivil(absl::CivilSecond(2021, 10, 11, 7, 30, 0), absl::UTCTimeZone()));
  absl::StatusOr<core::CheckInRecord> w = CheckIn(
      event, "w1", "asti-1", day, "", AttendanceMode::kInPerson, Partner("asti-1", "Asti"));
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_TRUE(w->walk_in);
  absl::StatusOr<core::Registration> r = Await<core::Registration>(
      [&](auto done) { app_->GetRegistration(event, "asti-1", std::move(done)); });
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->walk_in);
  EXPECT_EQ(Counter(event, "reg:2021-10-11:in_person"), "1");
  // The room is now full.
  EXPECT_EQ(CheckIn(event, "w2", "cuneo-1", day, "", AttendanceMode::kInPerson,
                    Partner("cuneo-1", "Cuneo"))
                .status()
                .code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(CheckInTest, CountsPerDayModeSessionCityAndUniqueHeadcount) {
  const std::string event = Thessaloniki(2);  // two seats in the room
  const absl::CivilDay d1(2022, 3, 15), d2(2022, 3, 16);
  ASSERT_TRUE(Register(event, "r1", Partner("torino-1", "Torino"), AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(Register(event, "r2", Partner("paris-1", "Paris"), std::nullopt,
                       {{d1, AttendanceMode::kInPerson}, {d2, AttendanceMode::kOnline}})
                  .ok());
  // The room is full on day 1: Zagreb waits; online has no limit.
  ASSERT_TRUE(Register(event, "r3", Partner("zagreb-1", "Zagreb"), std::nullopt,
                       {{d1, AttendanceMode::kInPerson}})
                  .ok());
  ASSERT_TRUE(Register(event, "r4", Partner("tampere-1", "Tampere"), AttendanceMode::kOnline).ok());

  ASSERT_TRUE(CheckIn(event, "c1", "torino-1", d1, "", AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(CheckIn(event, "c2", "torino-1", d1, "", AttendanceMode::kInPerson).ok());  // rescan
  ASSERT_TRUE(CheckIn(event, "c3", "torino-1", d1, "", AttendanceMode::kOnline).ok());    // also joined
  ASSERT_TRUE(CheckIn(event, "c4", "paris-1", d1, "", AttendanceMode::kInPerson).ok());
  ASSERT_TRUE(CheckIn(event, "c5", "tampere-1", std::nullopt, "s1", AttendanceMode::kOnline).ok());
  ASSERT_TRUE(CheckIn(event, "c6", "tampere-1", std::nullopt, "s1", AttendanceMode::kOnline).ok());

  absl::StatusOr<core::AttendanceCounts> counts = Await<core::AttendanceCounts>(
      [&](auto done) { app_->GetAttendanceCounts(event, std::move(done)); });
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->registrations, 4);
  ASSERT_EQ(counts->days.size(), 3u);
  const core::DayCounts& day1 = counts->days[0];
  EXPECT_EQ(day1.counts.registered_in_person, 2);
  EXPECT_EQ(day1.counts.waitlisted_in_person, 1);
  EXPECT_EQ(day1.counts.registered_online, 1);
  EXPECT_EQ(day1.counts.checked_in_in_person, 2);
  EXPECT_EQ(day1.counts.checked_in_online, 1);  // day check-ins; s1 is below
  EXPECT_EQ(day1.unique.in_person_only, 1);     // Paris
  EXPECT_EQ(day1.unique.both, 1);               // Torino: desk and online
  EXPECT_EQ(day1.unique.online_only, 1);        // Tampere, through session s1
  EXPECT_EQ(day1.unique.total(), 3);
  ASSERT_EQ(day1.sessions.size(), 2u);
  EXPECT_EQ(day1.sessions[0].session_id, "s1");
  EXPECT_EQ(day1.sessions[0].counts.checked_in_online, 1);
  EXPECT_EQ(day1.sessions[1].format, core::EventFormat::kInPerson);
  // The in-person-only session expects the day's room, not its online
  // audience; the hybrid one expects both.
  EXPECT_EQ(day1.sessions[1].counts.registered_in_person, 2);
  EXPECT_EQ(day1.sessions[1].counts.waitlisted_in_person, 1);
  EXPECT_EQ(day1.sessions[1].counts.registered_online, 0);
  EXPECT_EQ(day1.sessions[0].counts.registered_online, 1);
  EXPECT_EQ(day1.in_person_capacity, 2);
  bool saw_paris = false;
  for (const core::GroupCounts& g : day1.by_city) {
    if (g.key == "Paris") {
      saw_paris = true;
      EXPECT_EQ(g.counts.registered_in_person, 1);
      EXPECT_EQ(g.counts.checked_in_in_person, 1);
    }
  }
  EXPECT_TRUE(saw_paris);
  const core::DayCounts& day2 = counts->days[1];
  EXPECT_EQ(day2.counts.registered_in_person, 1);  // Torino
  EXPECT_EQ(day2.counts.registered_online, 2);     // Paris (flight home), Tampere
  EXPECT_EQ(day2.unique.total(), 0);
  EXPECT_EQ(Await<core::AttendanceCounts>([&](auto done) {
              app_->GetAttendanceCounts("ev_nope", std::move(done));
            }).status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace convene::attendance

namespace convene::attendance {
namespace {

// The calendar moves an event; the attendance sheet follows and carries the
// registrations along (sheet_put.lua).
class MovedEventTest : public AttendanceAppTest {
 protected:
  void Move(const std::string& event, const std::string& first, const std::string& last,
            int64_t revision) {
    v1::Event patch;
    patch.set_id(event);
    patch.set_start_local(first + "T09:00");
    patch.set_end_local(last + "T17:30");
    absl::StatusOr<core::Event> moved = Await<core::Event>([&](auto done) {
      calendar_->UpdateEvent(patch, {"start_local", "end_local", "sessions"}, revision,
                             std::move(done));
    });
    ASSERT_TRUE(moved.ok()) << moved.status();
    FollowCalendar(event);
  }
  std::vector<std::string> Days(const std::string& event, const std::string& pid) {
    absl::StatusOr<core::Registration> r = Await<core::Registration>(
        [&](auto done) { app_->GetRegistration(event, pid, std::move(done)); });
    EXPECT_TRUE(r.ok()) << r.status();
    std::vector<std::string> out;
    if (!r.ok()) return out;
    for (const core::RegistrationDay& d : r->days) {
      out.push_back(absl::StrCat(core::FormatLocalDate(d.date), " ",
                                 d.mode == AttendanceMode::kOnline ? "online" : "in_person", " ",
                                 d.status == RegistrationStatus::kWaitlisted ? "waitlisted"
                                 : d.status == RegistrationStatus::kCancelled ? "cancelled"
                                                                              : "confirmed",
                                 d.waitlist_position ? absl::StrCat(" ", d.waitlist_position)
                                                     : ""));
    }
    return out;
  }
};

TEST_F(MovedEventTest, RegistrationsSeatsAndWaitlistsMoveWithTheDates) {
  const std::string event = Thessaloniki(1);  // 2022-03-15..17, one seat in the room
  const absl::CivilDay d1(2022, 3, 15), d2(2022, 3, 16);
  ASSERT_TRUE(Register(event, "r1", Partner("torino-1", "Torino"), std::nullopt,
                       {{d1, AttendanceMode::kInPerson}, {d2, AttendanceMode::kOnline}})
                  .ok());
  ASSERT_TRUE(Register(event, "r2", Partner("utrecht-1", "Utrecht"), AttendanceMode::kInPerson)
                  .ok());  // waits on the 15th, in the room on the 16th and 17th

  // A week later, then one day earlier than that (old and new dates overlap).
  Move(event, "2022-03-22", "2022-03-24", 1);
  Move(event, "2022-03-21", "2022-03-23", 2);
  EXPECT_THAT(Days(event, "torino-1"),
              ::testing::ElementsAre("2022-03-21 in_person confirmed", "2022-03-22 online confirmed"));
  EXPECT_THAT(Days(event, "utrecht-1"),
              ::testing::ElementsAre("2022-03-21 in_person waitlisted 1",
                                     "2022-03-22 in_person confirmed",
                                     "2022-03-23 in_person confirmed"));
  absl::StatusOr<core::AttendanceCounts> counts = Await<core::AttendanceCounts>(
      [&](auto done) { app_->GetAttendanceCounts(event, std::move(done)); });
  ASSERT_TRUE(counts.ok()) << counts.status();
  ASSERT_EQ(counts->days.size(), 3u);
  EXPECT_EQ(counts->days[0].date, absl::CivilDay(2022, 3, 21));
  EXPECT_EQ(counts->days[0].counts.registered_in_person, 1);
  EXPECT_EQ(counts->days[0].counts.waitlisted_in_person, 1);
  EXPECT_EQ(counts->days[1].counts.registered_online, 1);
  EXPECT_EQ(counts->days[1].counts.registered_in_person, 1);

  // The seat is still one seat: cancelling Torino's day promotes Utrecht.
  absl::StatusOr<core::Registration> cancelled = Await<core::Registration>([&](auto done) {
    app_->CancelRegistration(event, "c1", "torino-1", {absl::CivilDay(2022, 3, 21)}, "",
                             std::move(done));
  });
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_THAT(Days(event, "utrecht-1"),
              ::testing::ElementsAre("2022-03-21 in_person confirmed",
                                     "2022-03-22 in_person confirmed",
                                     "2022-03-23 in_person confirmed"));
  // And a new registration for the room on the 22nd waits: the seat moved.
  absl::StatusOr<core::Registration> late = Register(
      event, "r3", Partner("paris-1", "Paris"), std::nullopt,
      {{absl::CivilDay(2022, 3, 22), AttendanceMode::kInPerson}});
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->status, RegistrationStatus::kWaitlisted);
}

}  // namespace
}  // namespace convene::attendance

namespace convene::attendance {
namespace {

using AuditTest = AttendanceAppTest;

absl::StatusOr<std::vector<storage::AttendanceStore::Drift>> Audit(
    storage::AttendanceStore& store, const std::string& event, bool repair) {
  return Await<std::vector<storage::AttendanceStore::Drift>>(
      [&](auto done) { store.Audit(event, repair, std::move(done)); });
}

TEST_F(AuditTest, FindsNothingAfterOrdinaryChanges) {
  const std::string event = Thessaloniki(/*in_person_seats=*/2);
  for (const char* id : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(Register(event, std::string("r-") + id, Partner(id, "Torino"),
                         AttendanceMode::kInPerson)
                    .ok());
  }
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                app_->CancelRegistration(event, "c-a", "a", {}, "", std::move(done));
              }).ok());
  absl::StatusOr<std::vector<storage::AttendanceStore::Drift>> drifts =
      Audit(*store_, event, false);
  ASSERT_TRUE(drifts.ok()) << drifts.status();
  EXPECT_TRUE(drifts->empty()) << drifts->front().field;
}

TEST_F(AuditTest, FindsAndRepairsACounterCorruptedByHand) {
  const std::string event = Thessaloniki(/*in_person_seats=*/2);
  for (const char* id : {"a", "b", "c"}) {
    ASSERT_TRUE(Register(event, std::string("r-") + id, Partner(id, "Torino"),
                         AttendanceMode::kInPerson)
                    .ok());
  }
  storage::RedisSyncClient sync(*redis_);
  // Someone (or a bug) took a seat counter and a waitlist entry away.
  ASSERT_TRUE(sync.Command({"HSET", storage::keys::DayCounters(event, "2022-03-15"),
                            "reg:2022-03-15:in_person", "7"})
                  .ok());
  ASSERT_TRUE(sync.Command({"DEL", storage::keys::WaitlistPrefix(event) +
                                       "2022-03-16:in_person"})
                  .ok());
  absl::StatusOr<std::vector<storage::AttendanceStore::Drift>> drifts =
      Audit(*store_, event, false);
  ASSERT_TRUE(drifts.ok()) << drifts.status();
  std::vector<std::string> fields;
  for (const auto& d : *drifts) fields.push_back(d.field + " " + d.stored + "->" + d.computed);
  EXPECT_THAT(fields, ::testing::UnorderedElementsAre(
                          "reg:2022-03-15:in_person 7->2",
                          "waitlist:2022-03-16:in_person:c 0->1"));
  // Reporting alone changes nothing.
  EXPECT_EQ(Audit(*store_, event, false)->size(), 2u);

  ASSERT_TRUE(Audit(*store_, event, true).ok());
  drifts = Audit(*store_, event, false);
  ASSERT_TRUE(drifts.ok());
  EXPECT_TRUE(drifts->empty());
  // And the repaired counters are what people see and what seats follow.
  absl::StatusOr<core::AttendanceCounts> counts = Await<core::AttendanceCounts>(
      [&](auto done) { app_->GetAttendanceCounts(event, std::move(done)); });
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->days[0].counts.registered_in_person, 2);
  EXPECT_EQ(counts->days[1].counts.waitlisted_in_person, 1);
}

}  // namespace
}  // namespace convene::attendance
