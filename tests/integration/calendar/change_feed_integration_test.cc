// The change feed across services against a real, private redis-server: the
// relay copies the calendar's and the events' attendance streams into one
// feed, and ListChanges reads it from positions, filtered.
#include "calendar/change_feed.h"

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <thread>

#include "attendance/attendance_app.h"
#include "absl/strings/str_split.h"
#include "calendar/calendar_app.h"
#include "calendar/change_feed_relay.h"
#include "core/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "attendance/attendance_store.h"
#include "calendar/calendar_store.h"
#include "calendar/change_feed_store.h"
#include "attendance/event_sheet_store.h"
#include "storage/keys.h"
#include "storage/redis_address.h"
#include "storage/redis_sync_client.h"
#include "storage/stream_position.h"
#include "storage/stream_range.h"
#include "testing_util/await.h"
#include "testing_util/connection_calendar.h"
#include "testing_util/redis_test.h"

namespace convene::calendar {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using core::AttendanceMode;
using testing_util::Await;

core::ParticipantInfo Partner(const std::string& id) {
  return {id, "Partner " + id, id + "@example.org", "City of Torino", "Torino",
          "IT", "Europe/Rome", "it"};
}

class ChangeFeedTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    options_.address = *storage::RedisAddress::Parse(redis_address());
    redis_ = *storage::RedisClient::Start(options_);
    calendar_store_ = std::make_unique<storage::CalendarStore>(*redis_);
    sheets_ = std::make_unique<storage::EventSheetStore>(*redis_);
    calendar_ = std::make_unique<CalendarApp>(*calendar_store_, clock_);
    attendance_store_ = std::make_unique<storage::AttendanceStore>(*redis_);
    builder_ = std::make_unique<attendance::SheetBuilder>(*redis_, *sheets_);
    attendance_ = std::make_unique<attendance::AttendanceApp>(*attendance_store_, clock_,
                                                              builder_.get());
    feed_store_ = std::make_unique<storage::ChangeFeedStore>(*redis_);
    feed_ = std::make_unique<ChangeFeedApp>(*feed_store_);
    relay_redis_ = *storage::RedisSyncClient::Start(options_);
    follow_ = std::make_unique<storage::PlannerFeed>(*relay_redis_, ChangeFeedFollowKeys());
    relay_ = std::make_unique<ChangeFeedRelay>(*follow_, *relay_redis_, clock_,
                                               ChangeFeedRelayOptions{.owner = "relay-a"});
  }

  std::string Thessaloniki(int in_person_seats, const std::string& request_id) {
    core::Event e = testing_util::ConnectionCalendar()[testing_util::kThessalonikiWorkshop];
    e.venue.in_person_capacity = in_person_seats;
    absl::StatusOr<core::Event> made = Await<core::Event>(
        [&](auto done) { calendar_->CreateEvent(request_id, e, std::move(done)); });
    EXPECT_TRUE(made.ok()) << made.status();
    return made.ok() ? made->id : "";
  }
  void Register(const std::string& event, const std::string& pid) {
    absl::StatusOr<core::Registration> r = Await<core::Registration>([&](auto done) {
      attendance_->Register(event, "reg-" + pid, Partner(pid), AttendanceMode::kInPerson,
                            {}, std::move(done));
    });
    ASSERT_TRUE(r.ok()) << r.status();
  }
  // A badge scanned at 10:00 in Thessaloniki (UTC+2 in March) on `day`.
  void CheckIn(const std::string& event, const std::string& pid, absl::CivilDay day) {
    const absl::Time scanned =
        absl::FromCivil(absl::CivilSecond(day.year(), day.month(), day.day(), 8, 0, 0),
                        absl::UTCTimeZone());
    storage::CheckInCommand c;
    c.event_id = event;
    c.request_id = "in-" + pid + absl::FormatCivilTime(day);
    c.participant_id = pid;
    c.day = day;
    c.mode = AttendanceMode::kInPerson;
    c.source = core::CheckInSource::kBadge;
    ASSERT_TRUE(Await<core::CheckInRecord>([&](auto done) {
                  attendance_->CheckIn(c, scanned, std::move(done));
                }).ok());
  }
  absl::StatusOr<ChangeSlice> List(ChangeQuery q) {
    return Await<ChangeSlice>(
        [&](auto done) { feed_->ListChanges(std::move(q), std::move(done)); });
  }
  // Every change after `position` matching `q`, page by page.
  std::vector<storage::FeedEntry> ListAll(ChangeQuery q) {
    std::vector<storage::FeedEntry> all;
    for (int calls = 0; calls < 1000; ++calls) {
      absl::StatusOr<ChangeSlice> s = List(q);
      EXPECT_TRUE(s.ok()) << s.status();
      if (!s.ok()) break;
      all.insert(all.end(), s->entries.begin(), s->entries.end());
      q.position = s->next_position;
      if (!s->has_more) break;
    }
    return all;
  }
  static std::vector<std::string> Kinds(const std::vector<storage::FeedEntry>& entries) {
    std::vector<std::string> kinds;
    for (const auto& e : entries) kinds.push_back(e.fields.at("kind"));
    return kinds;
  }
  int64_t FeedLength() {
    storage::RedisSyncClient sync(*redis_);
    return sync.Command({"XLEN", storage::keys::ChangeFeed()})->as_integer().value_or(-1);
  }

  core::FakeClock clock_{absl::FromCivil(absl::CivilSecond(2022, 3, 1, 10, 0, 0),
                                         absl::UTCTimeZone())};
  storage::RedisClientOptions options_;
  std::unique_ptr<storage::RedisClient> redis_;
  std::unique_ptr<storage::CalendarStore> calendar_store_;
  std::unique_ptr<storage::EventSheetStore> sheets_;
  std::unique_ptr<attendance::SheetBuilder> builder_;
  std::unique_ptr<CalendarApp> calendar_;
  std::unique_ptr<storage::AttendanceStore> attendance_store_;
  std::unique_ptr<attendance::AttendanceApp> attendance_;
  std::unique_ptr<storage::ChangeFeedStore> feed_store_;
  std::unique_ptr<ChangeFeedApp> feed_;
  std::unique_ptr<storage::RedisSyncClient> relay_redis_;
  std::unique_ptr<storage::PlannerFeed> follow_;
  std::unique_ptr<ChangeFeedRelay> relay_;
};

TEST_F(ChangeFeedTest, RelaysScheduleAndAttendanceInTheOrderTheyHappened) {
  const std::string event = Thessaloniki(1, "t1");
  Register(event, "torino-1");
  Register(event, "utrecht-1");  // waitlisted: one seat
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->CancelRegistration(event, "cancel-1", "torino-1", {}, "",
                                                std::move(done));
              }).ok());
  CheckIn(event, "utrecht-1", absl::CivilDay(2022, 3, 15));
  ASSERT_TRUE(Await<attendance::AttendanceApp::ForgetOutcome>([&](auto done) {
                attendance_->ForgetParticipant(event, "torino-1", "forget-1",
                                               "asked by e-mail", std::move(done));
              }).ok());
  ASSERT_TRUE(relay_->RelayAvailable().ok());

  std::vector<storage::FeedEntry> all = ListAll({});
  // The cancellation frees a seat on each of the three days: utrecht-1 is
  // promoted once per day.
  ASSERT_THAT(Kinds(all),
              ElementsAre("event_created", "registration_created", "registration_created",
                          "registration_cancelled", "registration_promoted",
                          "registration_promoted", "registration_promoted", "checked_in",
                          "participant_forgotten"));
  for (const auto& e : all) EXPECT_EQ(e.fields.at("event"), event);
  // Entries name people by pseudonym; the id comes from beside the feed.
  EXPECT_THAT(all[4].fields.at("participant"), ::testing::StartsWith("pn_"));
  EXPECT_EQ(all[4].fields.at(std::string(storage::kFeedPersonId)), "utrecht-1");
  EXPECT_EQ(all[4].fields.at("date"), "2022-03-15");
  EXPECT_EQ(all[6].fields.at("date"), "2022-03-17");
  EXPECT_EQ(all[7].fields.at("scope"), "day:2022-03-15");
  // torino-1 is erased: their entries keep the pseudonym, and the id is
  // gone from beside the feed, for their earlier changes too.
  EXPECT_THAT(all[8].fields.at("participant"), ::testing::StartsWith("pn_"));
  EXPECT_EQ(all[3].fields.at("participant"), all[8].fields.at("participant"));
  EXPECT_FALSE(all[8].fields.contains(std::string(storage::kFeedPersonId)));
  EXPECT_FALSE(all[3].fields.contains(std::string(storage::kFeedPersonId)));
  // Positions increase, and each entry says where it came from.
  for (size_t i = 1; i < all.size(); ++i) {
    EXPECT_TRUE(storage::StreamIdLess(storage::DecodeStreamPosition(all[i - 1].id, "id")->stream_id,
                                      storage::DecodeStreamPosition(all[i].id, "id")->stream_id));
  }
  EXPECT_EQ(all[0].stream, storage::keys::CalendarChanges());
  EXPECT_EQ(all[1].stream, storage::keys::AttendanceChanges(event));
  // Nothing personal is in the feed: ids, days, modes and statuses only.
  storage::RedisSyncClient sync(*redis_);
  absl::StatusOr<storage::RedisReply> raw =
      sync.Command({"XRANGE", storage::keys::ChangeFeed(), "-", "+"});
  ASSERT_TRUE(raw.ok());
  std::string text;
  for (const auto& entry : raw->elements()) {
    for (const auto& f : entry.elements()[1].elements()) text += f.text() + "\n";
  }
  EXPECT_THAT(text, Not(HasSubstr("Partner torino-1")));
  EXPECT_THAT(text, Not(HasSubstr("torino-1@example.org")));
}

TEST_F(ChangeFeedTest, ResumesFromAnyPositionAndFiltersByEventAndKind) {
  const std::string first = Thessaloniki(25, "t1");
  const std::string second = Thessaloniki(25, "t2");
  for (int i = 0; i < 5; ++i) {
    Register(first, "a" + std::to_string(i));
    Register(second, "b" + std::to_string(i));
  }
  CheckIn(first, "a0", absl::CivilDay(2022, 3, 15));
  // Entry ids are Redis's millisecond clock: two events' changes within one
  // millisecond have no order between them, so the second comes later.
  absl::SleepFor(absl::Milliseconds(2));
  CheckIn(second, "b1", absl::CivilDay(2022, 3, 16));
  ASSERT_TRUE(relay_->RelayAvailable().ok());

  // Page by page (2 at a time) gives what one read gives.
  std::vector<storage::FeedEntry> all = ListAll({.page_size = 1000});
  ASSERT_EQ(all.size(), 14u);
  std::vector<storage::FeedEntry> paged = ListAll({.page_size = 2});
  ASSERT_EQ(paged.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(paged[i].id, all[i].id);

  // Resuming after the 6th entry gives the rest, and only the rest.
  std::vector<storage::FeedEntry> rest = ListAll({.position = all[5].id});
  ASSERT_EQ(rest.size(), all.size() - 6);
  EXPECT_EQ(rest.front().id, all[6].id);

  std::vector<storage::FeedEntry> of_second = ListAll({.event_id = second, .page_size = 2});
  EXPECT_EQ(of_second.size(), 7u);
  for (const auto& e : of_second) EXPECT_EQ(e.fields.at("event"), second);

  std::vector<storage::FeedEntry> check_ins =
      ListAll({.kinds = {"checked_in"}, .page_size = 1});
  ASSERT_EQ(check_ins.size(), 2u);
  EXPECT_EQ(check_ins[0].fields.at(std::string(storage::kFeedPersonId)), "a0");
  EXPECT_EQ(check_ins[1].fields.at(std::string(storage::kFeedPersonId)), "b1");

  // Caught up: the next position is the newest, with nothing more.
  absl::StatusOr<ChangeSlice> end = List({.position = all.back().id});
  ASSERT_TRUE(end.ok());
  EXPECT_TRUE(end->entries.empty());
  EXPECT_FALSE(end->has_more);
  EXPECT_EQ(end->next_position, all.back().id);
}

TEST_F(ChangeFeedTest, TwoRelaysAndARestartRelayEachChangeOnce) {
  const std::string event = Thessaloniki(25, "t1");
  auto second_redis = *storage::RedisSyncClient::Start(options_);
  storage::PlannerFeed second_follow(*second_redis, ChangeFeedFollowKeys());
  // A lease shorter than the writes take, so that leadership changes hands
  // while they run.
  ChangeFeedRelay a(*follow_, *relay_redis_, clock_,
                    {.owner = "a", .lease = absl::Milliseconds(30),
                     .block = absl::Milliseconds(5), .batch = 7});
  ChangeFeedRelay b(second_follow, *second_redis, clock_,
                    {.owner = "b", .lease = absl::Milliseconds(30),
                     .block = absl::Milliseconds(5), .batch = 7});
  a.Start();
  b.Start();
  constexpr int kPeople = 200;
  for (int i = 0; i < kPeople; ++i) Register(event, "p" + std::to_string(i));
  // A relay that lost everything it held (a restart) starts from the
  // positions in Redis.
  a.Stop();
  b.Stop();
  relay_ = std::make_unique<ChangeFeedRelay>(*follow_, *relay_redis_, clock_,
                                             ChangeFeedRelayOptions{.owner = "c"});
  storage::RedisSyncClient sync(*redis_);
  ASSERT_TRUE(sync.Command({"DEL", storage::keys::ChangeFeedRelayLease()}).ok());
  ASSERT_TRUE(relay_->RelayAvailable().ok());

  std::vector<storage::FeedEntry> all = ListAll({.page_size = 1000});
  ASSERT_EQ(all.size(), 1u + kPeople);
  std::set<std::pair<std::string, std::string>> sources;
  for (const auto& e : all) sources.emplace(e.stream, e.fields.at("sid"));
  EXPECT_EQ(sources.size(), all.size()) << "a source entry was relayed twice";

  // The same batch appended again adds nothing.
  std::vector<storage::FeedEntry> again(all.begin(), all.begin() + 3);
  for (auto& e : again) e.id = e.fields.at("sid");
  absl::StatusOr<int> appended = storage::AppendToChangeFeed(*relay_redis_, again, 1000);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(*appended, 0);
  EXPECT_EQ(FeedLength(), static_cast<int64_t>(all.size()));
}

TEST_F(ChangeFeedTest, AnErasureOnALongPastEventStillReachesTheFeed) {
  const std::string event = Thessaloniki(25, "t1");  // 2022-03-15..17
  Register(event, "torino-1");
  ASSERT_TRUE(relay_->RelayAvailable().ok());
  // A year later the event is no longer followed; then someone asks to be
  // forgotten.
  clock_.Advance(absl::Hours(24 * 365));
  ASSERT_TRUE(Await<attendance::AttendanceApp::ForgetOutcome>([&](auto done) {
                attendance_->ForgetParticipant(event, "torino-1", "forget-1", "GDPR request",
                                               std::move(done));
              }).ok());
  // A relay that starts (or refreshes) now finds the news.
  ChangeFeedRelay later(*follow_, *relay_redis_, clock_, {.owner = "relay-b"});
  storage::RedisSyncClient sync(*redis_);
  ASSERT_TRUE(sync.Command({"DEL", storage::keys::ChangeFeedRelayLease()}).ok());
  ASSERT_TRUE(later.RelayAvailable().ok());
  EXPECT_THAT(Kinds(ListAll({})), ElementsAre("event_created", "registration_created",
                                              "participant_forgotten"));
}

TEST_F(ChangeFeedTest, RefusesBadAndExpiredPositions) {
  absl::StatusOr<ChangeSlice> bad = List({.position = "yesterday"});
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status())) << bad.status();
  EXPECT_THAT(bad.status().message(), HasSubstr("position"));
  absl::StatusOr<ChangeSlice> big = List({.page_size = 1001});
  EXPECT_TRUE(absl::IsInvalidArgument(big.status())) << big.status();
  EXPECT_THAT(big.status().message(), HasSubstr("page_size"));

  // A feed kept to ~10 entries; Redis trims whole nodes of 100 entries, so
  // write enough for the first ones to go.
  std::vector<storage::FeedEntry> batch;
  for (int i = 1; i <= 1200; ++i) {  // more than one script's worth
    batch.push_back({"cv:{ev:x}:changes", absl::StrCat(i, "-0"),
                     {{"kind", "checked_in"}, {"event", "x"}}});
  }
  absl::StatusOr<int> appended = storage::AppendToChangeFeed(*relay_redis_, batch, 10);
  ASSERT_TRUE(appended.ok()) << appended.status();
  EXPECT_EQ(*appended, 1200);
  ASSERT_LT(FeedLength(), 400);
  // The same entries again: every chunk sees them relayed already.
  EXPECT_EQ(*storage::AppendToChangeFeed(*relay_redis_, batch, 10), 0);
  absl::StatusOr<ChangeSlice> oldest = List({});
  ASSERT_TRUE(oldest.ok()) << oldest.status();  // empty: the oldest kept
  ASSERT_FALSE(oldest->entries.empty());
  // A real token of this feed whose entries after it were trimmed.
  storage::RedisSyncClient sync(*redis_);
  const std::string epoch =
      sync.Command({"GET", storage::keys::StreamEpoch(storage::keys::ChangeFeed())})->text();
  ASSERT_FALSE(epoch.empty());
  absl::StatusOr<ChangeSlice> expired =
      List({.position = storage::EncodeStreamPosition({epoch, "1-0"})});
  EXPECT_TRUE(absl::IsFailedPrecondition(expired.status())) << expired.status();
  EXPECT_THAT(expired.status().message(), HasSubstr("position expired"));
}

TEST_F(ChangeFeedTest, KeepsIdsAndReasonsOnlyForWhatTheFeedStillHolds) {
  storage::RedisSyncClient sync(*redis_);
  // Kept by a release that did not trim them: they go too.
  ASSERT_TRUE(sync.Command({"HSET", storage::keys::ChangeFeedPeople(), "ev_legacy|pn_legacy",
                            "legacy@example.org", "ev_legacy|pn_legacy|1-0", "legacy reason",
                            "ev_legacy|pn_legacy|r", "1-0"})
                  .ok());
  // A feed kept to ~10 entries (Redis trims whole nodes of 100), relayed in
  // batches of 100.
  relay_ = std::make_unique<ChangeFeedRelay>(
      *follow_, *relay_redis_, clock_,
      ChangeFeedRelayOptions{.owner = "relay-a", .batch = 100, .max_entries = 10});
  auto register_and_cancel = [&](const std::string& event, const std::string& prefix) {
    for (int i = 0; i < 150; ++i) {
      const std::string pid = absl::StrCat(prefix, "-", i);
      Register(event, pid);
      ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                    attendance_->CancelRegistration(event, "cancel-" + pid, pid, {},
                                                    "reason of " + pid, std::move(done));
                  }).ok());
    }
  };
  const std::string old_event = Thessaloniki(1000, "t-old");
  register_and_cancel(old_event, "old");
  ASSERT_TRUE(Await<attendance::AttendanceApp::ForgetOutcome>([&](auto done) {
                attendance_->ForgetParticipant(old_event, "old-0", "forget-old-0",
                                               "GDPR request", std::move(done));
              }).ok());
  ASSERT_TRUE(relay_->RelayAvailable().ok());
  // The newest old cancellation (before the erasure's entry) resolves.
  std::vector<storage::FeedEntry> old_kept = ListAll({.page_size = 1000});
  ASSERT_GE(old_kept.size(), 2u);
  storage::FeedEntry& last_cancelled = old_kept[old_kept.size() - 2];
  EXPECT_EQ(last_cancelled.fields["kind"], "registration_cancelled");
  EXPECT_EQ(last_cancelled.fields[std::string(storage::kFeedPersonId)], "old-149");
  EXPECT_EQ(last_cancelled.fields[std::string(storage::kFeedPersonReason)], "reason of old-149");
  // Later changes (a millisecond on, so that no entry shares the old ones'
  // time) push every old one out of the feed.
  absl::SleepFor(absl::Milliseconds(2));
  const std::string new_event = Thessaloniki(1000, "t-new");
  register_and_cancel(new_event, "new");
  // An old participant registers again: they stay named, their old
  // cancellation's reason goes with the entry it belonged to.
  ASSERT_TRUE(Await<core::Registration>([&](auto done) {
                attendance_->Register(old_event, "reg-old-149-again", Partner("old-149"),
                                      AttendanceMode::kInPerson, {}, std::move(done));
              }).ok());
  ASSERT_TRUE(relay_->RelayAvailable().ok());
  ASSERT_LT(FeedLength(), 250);

  // Who and which source entries the feed still names.
  std::set<std::string> persons, changes;
  absl::StatusOr<storage::RedisReply> raw =
      sync.Command({"XRANGE", storage::keys::ChangeFeed(), "-", "+"});
  ASSERT_TRUE(raw.ok());
  for (const auto& entry : raw->elements()) {
    std::map<std::string, std::string> f;
    const auto& kv = entry.elements()[1].elements();
    for (size_t i = 0; i + 1 < kv.size(); i += 2) f[kv[i].text()] = kv[i + 1].text();
    if (f["pn"] != "1") continue;
    const std::string person = absl::StrCat(f["event"], "|", f["participant"]);
    persons.insert(person);
    changes.insert(absl::StrCat(person, "|", f["sid"]));
  }
  ASSERT_FALSE(persons.empty());
  absl::StatusOr<storage::RedisReply> people =
      sync.Command({"HGETALL", storage::keys::ChangeFeedPeople()});
  ASSERT_TRUE(people.ok());
  int erased = 0;
  const auto& pv = people->elements();
  for (size_t i = 0; i + 1 < pv.size(); i += 2) {
    const std::string field = pv[i].text(), value = pv[i + 1].text();
    const std::vector<std::string> parts = absl::StrSplit(field, '|');
    ASSERT_GE(parts.size(), 2u) << field;
    const std::string person = absl::StrCat(parts[0], "|", parts[1]);
    if (parts.size() == 2 && value.empty()) {
      // The erasure's mark stays: the erased participant may still check in.
      EXPECT_EQ(parts[0], old_event) << field;
      ++erased;
      continue;
    }
    if (parts.size() == 2 && parts[0] == old_event) {
      EXPECT_EQ(value, "old-149") << field;
    } else {
      EXPECT_THAT(value, Not(HasSubstr("old"))) << field;
    }
    EXPECT_THAT(value, Not(HasSubstr("legacy"))) << field;
    if (parts.size() == 2) {
      EXPECT_TRUE(persons.contains(person)) << field << " kept after the feed dropped its entries";
    } else if (parts[2] == "r") {
      for (absl::string_view sid : absl::StrSplit(value, ' ')) {
        EXPECT_TRUE(changes.contains(absl::StrCat(person, "|", sid)))
            << field << " lists " << sid << ", which the feed dropped";
      }
    } else {
      EXPECT_TRUE(changes.contains(field)) << field << " kept after the feed dropped its change";
    }
  }
  EXPECT_EQ(erased, 1);
  EXPECT_LT(pv.size() / 2, 3 * persons.size() + 2);
  // So is the index of what each field is kept for.
  EXPECT_LE(sync.Command({"ZCARD", storage::keys::ChangeFeedPeopleAge()})->as_integer().value_or(-1),
            static_cast<int64_t>(pv.size() / 2));

  // What remains still resolves for an organiser.
  std::vector<storage::FeedEntry> all = ListAll({.page_size = 1000});
  ASSERT_FALSE(all.empty());
  int cancellations = 0;
  for (const auto& e : all) {
    if (!e.fields.contains("pn")) continue;
    const std::string& id = e.fields.at(std::string(storage::kFeedPersonId));
    EXPECT_THAT(id, ::testing::StartsWith(e.fields.at("event") == new_event ? "new-" : "old-149"));
    if (e.fields.at("kind") == "registration_cancelled") {
      ++cancellations;
      EXPECT_EQ(e.fields.at(std::string(storage::kFeedPersonReason)), "reason of " + id);
    }
  }
  EXPECT_GT(cancellations, 0);
}

TEST_F(ChangeFeedTest, DropsAReasonWhoseChangeWasTrimmedAndKeepsThePersonStillNamed) {
  // One person's two cancellations with reasons, 300 other changes, then
  // the person again with a reason: in one script, so the sweep at its end
  // finds the person still needed and the first two reasons not.
  auto person_entry = [](int seq, const std::string& kind, const std::string& reason) {
    storage::FeedEntry e{"cv:{ev:x}:changes", absl::StrCat(seq, "-0"),
                         {{"kind", kind}, {"event", "x"}, {"participant", "pn_p"}, {"pn", "1"}}};
    e.fields[std::string(storage::kFeedPerson)] = "x|pn_p";
    e.fields[std::string(storage::kFeedPersonId)] = "p@example.org";
    if (!reason.empty()) e.fields[std::string(storage::kFeedPersonReason)] = reason;
    return e;
  };
  std::vector<storage::FeedEntry> batch = {person_entry(1, "registration_cancelled", "first"),
                                           person_entry(2, "registration_cancelled", "second")};
  for (int i = 3; i <= 302; ++i) {
    batch.push_back({"cv:{ev:x}:changes", absl::StrCat(i, "-0"),
                     {{"kind", "checked_in"}, {"event", "x"}}});
  }
  batch.push_back(person_entry(303, "registration_cancelled", "third"));
  ASSERT_EQ(*storage::AppendToChangeFeed(*relay_redis_, batch, 10), 303);
  ASSERT_LT(FeedLength(), 250);

  storage::RedisSyncClient sync(*redis_);
  auto field = [&](const std::string& f) -> std::optional<std::string> {
    absl::StatusOr<storage::RedisReply> r =
        sync.Command({"HGET", storage::keys::ChangeFeedPeople(), f});
    if (!r.ok() || r->is_nil()) return std::nullopt;
    return r->text();
  };
  EXPECT_EQ(field("x|pn_p"), "p@example.org");
  EXPECT_EQ(field("x|pn_p|1-0"), std::nullopt);
  EXPECT_EQ(field("x|pn_p|2-0"), std::nullopt);
  EXPECT_EQ(field("x|pn_p|303-0"), "third");
  EXPECT_EQ(field("x|pn_p|r"), "303-0");
  EXPECT_EQ(sync.Command({"ZCARD", storage::keys::ChangeFeedPeopleAge()})->as_integer().value_or(-1), 2);
}

}  // namespace
}  // namespace convene::calendar
