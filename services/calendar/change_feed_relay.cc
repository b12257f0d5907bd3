#include "calendar/change_feed_relay.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "calendar/change_feed_store.h"
#include "calendar/pseudonym_key_source.h"
#include "core/pseudonym.h"
#include "storage/attendance_stream_format.h"
#include "storage/keys.h"
#include "storage/stream_range.h"

namespace convene::calendar {
namespace {

// The feed entry for one source entry: the calendar stream's "type" becomes
// kind event_<type>; attendance entries keep their kind and gain the event
// id their stream key holds, except participant_contact entries, which lose
// every field (storage::AppendToChangeFeed then only moves past them), and
// participant_note entries, which keep only the reason they carry beside
// the change they belong to.
//
// A participant is named in the entry by their pseudonym ("pn" set): the
// feed keeps about a million entries and Redis cannot rewrite one, so the
// id (often an e-mail address) and the reason of a registration change (an
// organiser's free text about the person) go beside it, in the
// storage::kFeedPerson* fields that AppendToChangeFeed keeps in
// keys::ChangeFeedPeople() and ForgetParticipant's entry deletes there.
storage::FeedEntry ToFeedEntry(storage::FeedEntry source, const std::string& pseudonym_key) {
  if (source.stream == storage::keys::CalendarChanges()) {
    source.fields["kind"] = absl::StrCat("event_", source.fields["type"]);
    source.fields.erase("type");
    return source;
  }
  auto kind = source.fields.find("kind");
  if (kind != source.fields.end() && kind->second == storage::kContactKind) {
    // Personal data the feed does not publish (and erasure could not reach
    // there): no fields, so the relay only moves past it.
    source.fields.clear();
    return source;
  }
  const std::string event = storage::keys::EventOfAttendanceChanges(source.stream);
  source.fields["event"] = event;
  auto participant = source.fields.find("participant");
  if (participant == source.fields.end() || participant->second.empty()) return source;
  const std::string id = participant->second;
  const std::string pseudonym = core::ParticipantPseudonym(pseudonym_key, event, id);
  if (kind != source.fields.end() && kind->second == storage::kNoteKind) {
    // The reason given for the change entry `of`, published with it; the
    // note itself is not a change.
    storage::FeedEntry note{std::move(source.stream), std::move(source.id), {}};
    note.fields[std::string(storage::kFeedPerson)] = absl::StrCat(event, "|", pseudonym);
    note.fields[std::string(storage::kFeedPersonId)] = id;
    note.fields[std::string(storage::kFeedPersonReason)] = source.fields["reason"];
    note.fields[std::string(storage::kFeedPersonReasonOf)] = source.fields["of"];
    return note;
  }
  participant->second = pseudonym;
  source.fields["pn"] = "1";
  source.fields[std::string(storage::kFeedPerson)] = absl::StrCat(event, "|", pseudonym);
  source.fields[std::string(storage::kFeedPersonId)] = id;
  if (kind != source.fields.end() && kind->second == "participant_forgotten") {
    // Its reason names the request, not the person (the proto asks that of
    // the caller), and stays in the entry.
    source.fields[std::string(storage::kFeedPersonForgotten)] = "1";
    return source;
  }
  auto reason = source.fields.find("reason");
  if (reason != source.fields.end()) {
    if (!reason->second.empty()) {
      source.fields[std::string(storage::kFeedPersonReason)] = reason->second;
    }
    source.fields.erase("reason");
  }
  return source;
}

// Ids of the calendar's events that end after `after`, from the attributes
// the calendar keeps beside each event ("revision|start_ms|end_ms|...").
absl::StatusOr<std::vector<std::string>> EventsEndingAfter(storage::RedisSyncClient& redis,
                                                           absl::Time after) {
  absl::StatusOr<storage::RedisReply> r =
      redis.Command({"HGETALL", storage::keys::CalendarAttributes()});
  if (!r.ok()) return r.status();
  const int64_t after_ms =
      after == absl::InfinitePast() ? INT64_MIN : absl::ToUnixMillis(after);
  std::vector<std::string> live;
  const auto& e = r->elements();
  for (size_t i = 0; i + 1 < e.size(); i += 2) {
    absl::StatusOr<absl::string_view> id = e[i].as_string();
    absl::StatusOr<absl::string_view> attrs = e[i + 1].as_string();
    if (!id.ok() || !attrs.ok()) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(*attrs, '|');
    int64_t end_ms = 0;
    if (parts.size() > 2 && absl::SimpleAtoi(parts[2], &end_ms) && end_ms > after_ms) {
      live.emplace_back(*id);
    }
  }
  return live;
}

}  // namespace

storage::FollowKeys ChangeFeedFollowKeys() {
  return {storage::keys::ChangeFeedRelayLease(), storage::keys::ChangeFeedSources()};
}

ChangeFeedRelay::ChangeFeedRelay(storage::PlannerFeed& follow,
                                 storage::RedisSyncClient& redis,
                                 const core::Clock& clock,
                                 ChangeFeedRelayOptions options)
    : redis_(redis),
      options_(std::move(options)),
      follow_(follow, clock,
              {.owner = options_.owner,
               .lease = options_.lease,
               .refresh = options_.refresh,
               .after_end = options_.follow_after_end,
               .catch_up_ended = true,
               .events_ending_after =
                   [this](absl::Time after) { return EventsEndingAfter(redis_, after); }}) {}

ChangeFeedRelay::~ChangeFeedRelay() { Stop(); }

absl::StatusOr<int> ChangeFeedRelay::Step(absl::Duration block) {
  // The relay script keeps the positions (feed_append.lua), so the follower
  // reads them back from there when it gains the lease.
  absl::StatusOr<std::optional<std::vector<storage::FeedEntry>>> read =
      follow_.Next(options_.batch, block);
  if (!read.ok()) return read.status();
  if (!*read || (*read)->empty()) return 0;

  // XREAD answers stream by stream; the feed wants the order in which things
  // happened. Entry ids are Redis's clock, so sorting by them orders the
  // batch in time and keeps each stream's own order. (A new event's stream
  // is read only after the entry creating it, so it never precedes it.)
  if (pseudonym_key_.empty()) {
    absl::StatusOr<std::string> key = PseudonymKeySource::ReadOrMake(redis_);
    // Nothing advanced: the same entries are read again at the next step.
    if (!key.ok()) return key.status();
    pseudonym_key_ = *std::move(key);
  }
  std::vector<storage::FeedEntry> batch;
  batch.reserve((*read)->size());
  for (storage::FeedEntry& e : **read) {
    follow_.Advance(e);
    batch.push_back(ToFeedEntry(std::move(e), pseudonym_key_));
  }
  std::stable_sort(batch.begin(), batch.end(),
                   [](const storage::FeedEntry& a, const storage::FeedEntry& b) {
                     return storage::StreamIdLess(a.id, b.id);
                   });
  absl::StatusOr<int> appended =
      storage::AppendToChangeFeed(redis_, batch, options_.max_entries);
  if (!appended.ok()) return appended.status();
  return static_cast<int>(batch.size());
}

absl::StatusOr<int> ChangeFeedRelay::RelayAvailable() { return loop_.Drain(); }

void ChangeFeedRelay::Start() { loop_.Start(options_.block); }

void ChangeFeedRelay::Stop() { loop_.Stop(); }

}  // namespace convene::calendar
