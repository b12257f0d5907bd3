// SheetFollower: attendance's follower of the calendar's change stream. Each
// change carries the event after it; the follower builds the event's sheet
// from it (SheetBuilder), so attendance never reads the calendar's keys and
// the calendar never writes attendance's.
//
// One replica at a time follows (a lease in {att}, renewed while it works),
// from a position saved in {att} after each batch. A batch cut short by a
// crash is applied again, which is harmless: a sheet is never replaced by
// the same or an older revision. A calendar that was written while no
// attendance ran is caught up from the saved position (or from the oldest
// change kept, the first time).
//
//   SheetFollower follower(feed_connection, redis, builder, clock, {.owner = owner});
//   follower.Start();             // in the service
//   follower.ProcessAvailable();  // in a test
//   follower.Lag();               // age of the oldest change not applied yet
#ifndef CONVENE_ATTENDANCE_SHEET_FOLLOWER_H_
#define CONVENE_ATTENDANCE_SHEET_FOLLOWER_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "attendance/sheet_builder.h"
#include "core/clock.h"
#include "storage/planner_feed.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "storage/stream_follower.h"

namespace convene::attendance {

// The health name under which each attendance server reports whether
// calendar changes reach attendance in time, and the lag beyond which it
// reads NOT_SERVING (the follower is stopped, stuck, or far behind).
inline constexpr char kSheetsHealthName[] = "convene.attendance.sheets";
inline constexpr absl::Duration kMaxSheetLag = absl::Seconds(10);

// OK while Lag() is within kMaxSheetLag; UNAVAILABLE naming the lag beyond.
absl::Status CheckSheetLag(absl::StatusOr<absl::Duration> lag);

struct SheetFollowerOptions {
  // Unique per process (the lease is held in its name).
  std::string owner;
  absl::Duration lease = absl::Seconds(10);
  // How long one read waits for new changes.
  absl::Duration block = absl::Milliseconds(500);
  int batch = 500;
};

class SheetFollower {
 public:
  // `feed_redis` is a connection of its own (reads block on it); `redis` is
  // the shared client the builder writes through and Lag() reads with. All
  // must outlive the follower.
  SheetFollower(storage::RedisSyncClient& feed_redis, storage::RedisClient& redis,
                SheetBuilder& builder, const core::Clock& clock,
                SheetFollowerOptions options);
  ~SheetFollower();

  // Applies every change the stream holds now (if this replica leads) and
  // returns how many it read. Blocking.
  absl::StatusOr<int> ProcessAvailable();

  void Start();
  void Stop();

  // How long the oldest calendar change not applied yet has waited (zero
  // when every change is applied), from the position saved in Redis, so any
  // replica can tell, leading or not. Blocking, at most `timeout`.
  absl::StatusOr<absl::Duration> Lag(absl::Duration timeout);

  // The health of convene.attendance.sheets: UNAVAILABLE while changes were
  // missed (trimmed from the calendar's stream before they were applied:
  // attendance was down longer than the stream keeps changes, or it is
  // starting on a calendar an older release wrote) until `convene-admin
  // resheet` has rebuilt every sheet, or while Lag() exceeds kMaxSheetLag.
  absl::Status Health(absl::Duration timeout);

 private:
  absl::StatusOr<int> Step(absl::Duration block);
  // Records a gap when the calendar's stream has trimmed more entries
  // (XINFO STREAM: entries-added - length) than the follower ever applied:
  // some were dropped before it read them. Trimming only takes the oldest,
  // so counting is enough.
  absl::Status CheckForGap();
  // Publishes the newest calendar change applied (keys::
  // AttendanceSheetsApplied) after each batch, and every kAnnounceEvery
  // while idle, so the calendar can answer a write once attendance follows
  // it (calendar/change_applied_waiter.h) and knows a follower is alive.
  absl::Status AnnounceApplied();
  static constexpr absl::Duration kAnnounceEvery = absl::Seconds(1);
  absl::Time announced_ = absl::InfinitePast();

  storage::RedisSyncClient& feed_redis_;
  storage::RedisClient& redis_;
  SheetBuilder& builder_;
  const core::Clock& clock_;
  SheetFollowerOptions options_;
  storage::PlannerFeed feed_;
  storage::StreamFollower follow_;
  // Calendar changes applied since the stream began, saved with the
  // position (field kAppliedField); read again on each Step's first batch
  // after (re)gaining the lease.
  std::optional<int64_t> applied_;
  storage::FollowLoop loop_{"sheet follower",
                           [this](absl::Duration block) { return Step(block); }, follow_};
};

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_SHEET_FOLLOWER_H_
