#include "calendar/change_feed_relay.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "storage/change_feed_store.h"
#include "storage/keys.h"
#include "storage/stream_range.h"

namespace convene::calendar {
namespace {

// The feed entry for one source entry: the calendar stream's "type" becomes
// kind event_<type>; attendance entries keep their kind and gain the event
// id their stream key holds.
storage::FeedEntry ToFeedEntry(storage::FeedEntry source) {
  if (source.stream == storage::keys::CalendarChanges()) {
    source.fields["kind"] = absl::StrCat("event_", source.fields["type"]);
    source.fields.erase("type");
  } else {
    source.fields["event"] = storage::keys::EventOfAttendanceChanges(source.stream);
  }
  return source;
}

}  // namespace

storage::FollowKeys ChangeFeedFollowKeys() {
  return {storage::keys::ChangeFeedRelayLease(), storage::keys::ChangeFeedSources()};
}

ChangeFeedRelay::ChangeFeedRelay(storage::PlannerFeed& follow,
                                 storage::RedisSyncClient& redis,
                                 const core::Clock& clock,
                                 ChangeFeedRelayOptions options)
    : follow_(follow), redis_(redis), clock_(clock), options_(std::move(options)) {}

ChangeFeedRelay::~ChangeFeedRelay() { Stop(); }

absl::Status ChangeFeedRelay::Refresh() {
  // The relay script keeps the positions; another replica may have moved
  // them while this one did not lead.
  absl::StatusOr<std::map<std::string, std::string>> saved = follow_.Positions();
  if (!saved.ok()) return saved.status();
  absl::StatusOr<std::vector<std::string>> live =
      follow_.LiveEvents(clock_.Now() - options_.follow_after_end);
  if (!live.ok()) return live.status();
  std::map<std::string, std::string> positions;
  auto keep = [&](const std::string& key) {
    auto it = saved->find(key);
    positions[key] = it == saved->end() ? "0-0" : it->second;
  };
  keep(storage::keys::CalendarChanges());
  for (const std::string& id : *live) keep(storage::keys::AttendanceChanges(id));
  positions_ = std::move(positions);
  refreshed_ = clock_.Now();
  return absl::OkStatus();
}

absl::StatusOr<int> ChangeFeedRelay::Step(absl::Duration block) {
  absl::StatusOr<bool> lead = follow_.TryLead(options_.owner, options_.lease);
  if (!lead.ok()) return lead.status();
  if (!*lead) {
    leading_ = false;
    return 0;
  }
  if (!leading_ || clock_.Now() - refreshed_ >= options_.refresh) {
    if (absl::Status s = Refresh(); !s.ok()) return s;
    leading_ = true;
  }
  absl::StatusOr<std::vector<storage::FeedEntry>> read =
      follow_.Read(positions_, options_.batch, block);
  if (!read.ok()) return read.status();
  if (read->empty()) return 0;

  // XREAD answers stream by stream; the feed wants the order in which things
  // happened. Entry ids are Redis's clock, so sorting by them orders the
  // batch in time and keeps each stream's own order. (A new event's stream
  // is read only after the entry creating it, so it never precedes it.)
  std::vector<storage::FeedEntry> batch;
  batch.reserve(read->size());
  for (storage::FeedEntry& e : *read) {
    positions_[e.stream] = e.id;
    if (e.stream == storage::keys::CalendarChanges()) {
      auto id = e.fields.find("event");
      if (id != e.fields.end()) {
        positions_.emplace(storage::keys::AttendanceChanges(id->second), "0-0");
      }
    }
    batch.push_back(ToFeedEntry(std::move(e)));
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

absl::StatusOr<int> ChangeFeedRelay::RelayAvailable() {
  int total = 0;
  while (true) {
    absl::StatusOr<int> n = Step(absl::ZeroDuration());
    if (!n.ok()) return n.status();
    if (*n == 0) return total;
    total += *n;
  }
}

void ChangeFeedRelay::Start() {
  thread_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      absl::StatusOr<int> n = Step(options_.block);
      if (!n.ok()) {
        core::LogWarn(absl::StrCat("change feed relay: ", n.status().ToString()));
        stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
      } else if (!leading_) {
        // Another replica relays; look again before its lease could lapse.
        stop_.WaitForNotificationWithTimeout(options_.lease / 3);
      }
    }
  });
}

void ChangeFeedRelay::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace convene::calendar
