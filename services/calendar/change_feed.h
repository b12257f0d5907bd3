// ChangeFeedApp: ListChanges over the change feed across services, with its
// filters (one event, some kinds), over ChangeFeedStore. No gRPC here; the
// handler maps kinds and entries to and from the wire (change_mapping.h).
//
//   ChangeFeedApp feed(store);
//   feed.ListChanges({.position = token, .event_id = "ev_1"}, done);
#ifndef CONVENE_CALENDAR_CHANGE_FEED_H_
#define CONVENE_CALENDAR_CHANGE_FEED_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "calendar/change_feed_store.h"

namespace convene::calendar {

struct ChangeQuery {
  // "": from the oldest change kept.
  std::string position = {};
  // "": every event.
  std::string event_id = {};
  // Feed kinds ("event_created", "checked_in", ...); empty: all.
  absl::flat_hash_set<std::string> kinds = {};
  // 0: the default.
  int page_size = 0;
};

struct ChangeSlice {
  std::vector<storage::FeedEntry> entries;
  // Resume after this: the last entry examined, even when filtered out.
  std::string next_position;
  bool has_more = false;
};

class ChangeFeedApp {
 public:
  static constexpr int kDefaultPageSize = 100;
  static constexpr int kMaxPageSize = 1000;
  // A filtered read examines at least this many entries per call, so that
  // a rare kind or a quiet event does not take a call per entry; a page may
  // come back short (even empty) with has_more set.
  static constexpr int kExaminedPerCall = 2000;

  // `store` must outlive the app.
  explicit ChangeFeedApp(storage::ChangeFeedStore& store) : store_(store) {}

  void ListChanges(ChangeQuery query,
                   absl::AnyInvocable<void(absl::StatusOr<ChangeSlice>)> done);

  // The position token of the newest change (where a watcher from now
  // starts).
  // Live entries with what the feed keeps beside them (ChangeFeedStore::Resolve).
  void Resolve(std::vector<storage::FeedEntry> entries,
               absl::AnyInvocable<void(absl::StatusOr<std::vector<storage::FeedEntry>>)> done) {
    store_.Resolve(std::move(entries), std::move(done));
  }

  void Head(absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
    store_.Head(std::move(done));
  }

  // Whether `entry` passes the query's event and kind filters.
  static bool Matches(const ChangeQuery& query, const storage::FeedEntry& entry);

 private:
  storage::ChangeFeedStore& store_;
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CHANGE_FEED_H_
