// CalendarStore: the calendar aggregate in Redis (all keys under {cal}, see
// keys.h). Documents are opaque bytes to it; what it must filter and order
// on travels beside them in CalendarRecord.
//
//   CalendarStore store(redis);
//   store.Create(record, [](absl::StatusOr<CalendarWrite> w) { ... });
//   store.Get("ev_0123", [](absl::StatusOr<std::string> doc) { ... });
//
// Every write changes document, attributes, start index and change stream in
// one Lua script (one round trip, all or nothing). Get is one HGET. Callbacks
// run on the Redis client's loop thread: keep them short.
#ifndef CONVENE_STORAGE_CALENDAR_STORE_H_
#define CONVENE_STORAGE_CALENDAR_STORE_H_

#include <cstdint>
#include <optional>
#include <utility>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "storage/redis_client.h"
#include "storage/stream_range.h"

namespace convene::storage {

// One event as the store sees it.
struct CalendarRecord {
  std::string id;
  int64_t revision = 0;
  // UTC start and end, milliseconds since the epoch.
  int64_t start_ms = 0;
  int64_t end_ms = 0;
  // Filter attributes: short tokens ("scheduled", "hybrid", "workshop") and
  // two free texts. '|' separates attributes in Redis, so the store replaces
  // it with '/' in community and city (filters are changed the same way).
  std::string status;
  std::string format;
  std::string kind;
  std::string community;
  std::string city;
  // The serialised event.
  std::string document;
};

// The outcome of Create/Update.
struct CalendarWrite {
  // False when Create found the event already made by an earlier call with
  // the same id (an idempotent retry): `document` is that event.
  bool applied = false;
  std::string document;
  // Change stream id of the write; empty when !applied.
  std::string change_id;
};

// A window query: events overlapping [from_ms, to_ms), ordered by start.
struct CalendarQuery {
  std::optional<int64_t> from_ms;
  std::optional<int64_t> to_ms;
  // Empty: any.
  std::string status, format, kind, community, city;
  int page_size = 50;
  // Resume after this (start_ms, id), from a previous page.
  std::optional<std::pair<int64_t, std::string>> after;
};

struct CalendarPage {
  std::vector<std::string> documents;
  // Where the next page starts; empty on the last page.
  std::optional<std::pair<int64_t, std::string>> next;
  // The position token of the newest change when the page was read.
  std::string sync_token;
};

// One entry of the calendar change stream.
struct CalendarChange {
  // The sync token after this change: a position token (stream_position.h)
  // when read with ReadChanges, the bare stream entry id from ParseChange.
  std::string id;
  std::string type;  // "created", "updated", "cancelled"
  std::string event_id;
  int64_t revision = 0;
  std::string reason;
  std::string document;  // the event after the change
};

struct CalendarChangePage {
  std::vector<CalendarChange> changes;
  // The token of the newest entry (of "0-0" when the stream is empty):
  // where a client that has read everything continues from.
  std::string last_position;
};

class CalendarStore {
 public:
  template <typename T>
  using Callback = absl::AnyInvocable<void(absl::StatusOr<T>)>;

  // `redis` must outlive the store. The change stream keeps about
  // `max_changes` entries; older sync tokens expire.
  explicit CalendarStore(RedisClient& redis, int64_t max_changes = 100000);

  // Stores a new event with change type "created"; a retry for an id that
  // exists returns the stored event with applied == false when its
  // `request_fingerprint` matches the one stored with the event, and
  // INVALID_ARGUMENT naming request_id when it does not (the request id was
  // reused for a different event).
  void Create(const CalendarRecord& record, std::string request_fingerprint,
              Callback<CalendarWrite> done);

  // Replaces an event if its revision is still `expected_revision` (0: any):
  // NOT_FOUND for an unknown id, ABORTED for a stale revision; nothing is
  // written then. `change_type` is "updated" or "cancelled".
  void Update(const CalendarRecord& record, int64_t expected_revision,
              std::string change_type, std::string reason,
              Callback<CalendarWrite> done);

  // The stored document; NOT_FOUND for an unknown id.
  void Get(std::string id, Callback<std::string> done);

  // Whether an event is stored (cancelled ones are: events are never
  // deleted), without reading its document.
  void Exists(std::string id, Callback<bool> done);

  // One page of a window query; examines at most `max_examined` index
  // entries per call (a page may then come back short, with `next` set).
  void List(const CalendarQuery& query, Callback<CalendarPage> done,
            int max_examined = 5000);

  // Up to `count` changes after the sync token `after` ("" = from the first
  // change ever). FAILED_PRECONDITION when changes after `after` were
  // trimmed from the stream, or it is of another epoch or beyond the newest
  // change (the client must resync in full); INVALID_ARGUMENT when it is not
  // a token.
  void ReadChanges(std::string after, int count,
                   Callback<CalendarChangePage> done);

  // The sync token of the newest change.
  void ChangesHead(Callback<std::string> done);

  // The calendar's state as a sync token: its change stream's newest entry
  // and epoch, read as List reads them, so a page's sync_token equals it
  // for as long as nothing was written. Two cheap commands, one round trip.
  void Head(Callback<std::string> done);

  // The stream key, for a tailer that follows it live.
  static std::string ChangesKey();

  // Parses one XRANGE/XREAD entry ([id, [field, value, ...]]).
  static absl::StatusOr<CalendarChange> ParseChange(const RedisReply& entry);

 private:
  RedisClient& redis_;
  int64_t max_changes_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_CALENDAR_STORE_H_
