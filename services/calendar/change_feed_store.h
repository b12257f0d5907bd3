// ChangeFeedStore: the change feed across services in Redis (keys.h {feed}):
// one stream into which the calendar service relays the calendar's changes
// and every event's attendance changes (change_feed_relay.h), so that a
// consumer follows schedule and attendance from one position.
//
//   ChangeFeedStore feed(redis);
//   feed.Read("", 100, [](absl::StatusOr<ChangeFeedPage> page) { ... });
//
//   // The relay, on a connection of its own:
//   AppendToChangeFeed(sync_redis, entries_from_sources, 1000000);
#ifndef CONVENE_STORAGE_CHANGE_FEED_STORE_H_
#define CONVENE_STORAGE_CHANGE_FEED_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "storage/planner_feed.h"
#include "storage/redis_client.h"
#include "storage/redis_reply.h"
#include "storage/redis_sync_client.h"

namespace convene::storage {

// Entries are FeedEntry values: `id` is the feed position, `stream` the
// source stream it was relayed from, `fields` the source entry's fields plus
// "sid" (its id in the source stream, whose milliseconds are when it
// happened), "event" and a normalised "kind": event_created,
// event_updated, event_cancelled, or the attendance kinds
// (registration_created, ..., checked_in, checked_out,
// participant_forgotten).
//
// Read by clients, an entry's `id` is its position token (stream_position.h).
struct ChangeFeedPage {
  std::vector<FeedEntry> entries;
  // The token of the newest entry (of "0-0" when the feed is empty).
  std::string last_position;
  // The feed's epoch, which every token of the page carries.
  std::string epoch;
};

class ChangeFeedStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // `redis` must outlive the store.
  explicit ChangeFeedStore(RedisClient& redis) : redis_(redis) {}

  // Up to `count` entries after the token `position` ("": from the oldest
  // kept), with tokens for ids. INVALID_ARGUMENT for a token the feed never
  // issued, FAILED_PRECONDITION for one of another epoch, beyond the newest
  // entry, or with entries after it trimmed away.
  void Read(std::string position, int count, Callback<ChangeFeedPage> done);

  // `entries` with what their participant entries leave out added where it
  // is still kept (not erased): the participant's id as kFeedPersonId, the
  // change's reason as kFeedPersonReason. Read does this itself; a live
  // reader of the stream calls it.
  void Resolve(std::vector<FeedEntry> entries, Callback<std::vector<FeedEntry>> done);

  // The token of the newest entry: where a reader of what comes next starts.
  void Head(Callback<std::string> done);

  // The stream key, for a tailer that follows it live.
  static std::string Key();

  // Parses one XRANGE/XREAD entry of the feed.
  static absl::StatusOr<FeedEntry> ParseEntry(const RedisReply& entry);

 private:
  RedisClient& redis_;
};

// Fields of a source entry that AppendToChangeFeed keeps beside the feed
// (keys::ChangeFeedPeople) rather than in it: the participant's id, the
// reason of their change, and "1" when the entry erases the person there.
// An entry with no other field is not appended, and still keeps these.
inline constexpr absl::string_view kFeedPerson = "person";  // "<event>|<pseudonym>"
inline constexpr absl::string_view kFeedPersonId = "person.id";
inline constexpr absl::string_view kFeedPersonReason = "person.reason";
// The source entry the reason belongs to, when not this one.
inline constexpr absl::string_view kFeedPersonReasonOf = "person.reason_of";
inline constexpr absl::string_view kFeedPersonForgotten = "person.forgotten";

// Appends source entries (stream = source stream key, id = source entry id,
// fields as the feed keeps them, but for the kFeedPerson* ones) in order, skipping any source entry already
// relayed; one script, so a crash or two relays never duplicate an entry.
// An entry with no fields is not appended, only passed. Returns how many
// were appended. The feed keeps about `max_entries`, and the same script
// drops what keys::ChangeFeedPeople kept for entries the feed no longer
// holds (feed_append.lua).
absl::StatusOr<int> AppendToChangeFeed(RedisSyncClient& redis,
                                       const std::vector<FeedEntry>& entries,
                                       int64_t max_entries);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_CHANGE_FEED_STORE_H_
