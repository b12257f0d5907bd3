// StreamFollower: what the reminder planner and the change feed relay share.
// Both follow the calendar's change stream and the attendance streams of the
// events still live, one replica at a time (a lease), from positions kept in
// Redis; they differ only in what they do with the entries.
//
//   StreamFollower follower(feed, clock, {.owner = owner});
//   absl::StatusOr<std::optional<std::vector<FeedEntry>>> batch =
//       follower.Next(500, absl::Milliseconds(500));
//   if (batch.ok() && *batch) {
//     for (const FeedEntry& e : **batch) follower.Advance(e);  // then act, save
//   }
#ifndef CONVENE_STORAGE_STREAM_FOLLOWER_H_
#define CONVENE_STORAGE_STREAM_FOLLOWER_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "storage/planner_feed.h"

namespace convene::storage {

struct StreamFollowerOptions {
  // Unique per process (the lease is held in its name).
  std::string owner;
  absl::Duration lease = absl::Seconds(10);
  // How often the set of followed events is read again from the calendar.
  absl::Duration refresh = absl::Seconds(60);
  // Events are followed until this long after they end.
  absl::Duration after_end = absl::ZeroDuration();
  // Also follow, from each refresh on, the streams of events that ended
  // longer ago but have entries not processed yet (an erasure request for
  // last year's workshop). Costs one pipelined read per such event per
  // refresh.
  bool catch_up_ended = false;
  // Follow the live events' attendance streams too; false: the calendar's
  // stream alone (the attendance sheet follower), without reading which
  // events are live.
  bool follow_attendance = true;
  // Which events end after a given instant (InfinitePast: every event):
  // each service answers from its own keys (the calendar from its events,
  // notification from its copies). Required with follow_attendance.
  std::function<absl::StatusOr<std::vector<std::string>>(absl::Time)> events_ending_after =
      nullptr;
};

class StreamFollower {
 public:
  // `feed` (on a connection of its own) and `clock` must outlive this.
  StreamFollower(PlannerFeed& feed, const core::Clock& clock, StreamFollowerOptions options);

  // Takes or renews the lease and reads up to `count` entries per stream,
  // waiting up to `block`. nullopt: another replica leads. On (re)gaining
  // the lease, or when a refresh is due, the positions are read again from
  // Redis: another replica may have moved them meanwhile.
  absl::StatusOr<std::optional<std::vector<FeedEntry>>> Next(int count, absl::Duration block);

  // Marks `entry` processed; a calendar entry about a new event makes its
  // attendance stream followed from its first entry.
  void Advance(const FeedEntry& entry);

  // Stream key -> last entry id processed.
  const std::map<std::string, std::string>& positions() const { return positions_; }
  bool leading() const { return leading_; }
  const StreamFollowerOptions& options() const { return options_; }
  const core::Clock& clock() const { return clock_; }

 private:
  absl::Status Refresh();
  absl::StatusOr<std::vector<std::string>> EventsEndingAfter(absl::Time after);

  PlannerFeed& feed_;
  const core::Clock& clock_;
  StreamFollowerOptions options_;
  // A cache of what Redis holds, rebuilt on leadership; only the caller's
  // thread touches it.
  bool leading_ = false;
  absl::Time refreshed_ = absl::InfinitePast();
  std::map<std::string, std::string> positions_;
};

// Drives a follower's step (one read and its processing, returning how many
// entries it handled): Drain() steps until nothing is left (tests, --once);
// Start() steps on a thread of its own until Stop(), waiting 1 s on the
// clock after a failure and, while another replica leads, checking again
// well before its lease could lapse. Also drives readers that hold no lease
// (a consumer group's reader): those step again at once.
class FollowLoop {
 public:
  using Step = std::function<absl::StatusOr<int>(absl::Duration block)>;

  // `name` prefixes warnings ("reminder planner: ..."); `follower` must
  // outlive the loop.
  FollowLoop(std::string name, Step step, const StreamFollower& follower)
      : name_(std::move(name)),
        step_(std::move(step)),
        clock_(follower.clock()),
        follower_(&follower) {}
  // A loop with no lease; `clock` must outlive it.
  FollowLoop(std::string name, Step step, const core::Clock& clock)
      : name_(std::move(name)), step_(std::move(step)), clock_(clock) {}
  ~FollowLoop() { Stop(); }

  absl::StatusOr<int> Drain();
  void Start(absl::Duration block);
  void Stop();

 private:
  std::string name_;
  Step step_;
  const core::Clock& clock_;
  const StreamFollower* follower_ = nullptr;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_STREAM_FOLLOWER_H_
