// Live attendance counts for WatchAttendanceCounts.
//
// Every attendance script publishes "counts changed" on the event's channel
// (keys::CountsChannel). CountsHub holds one pattern subscription per process
// and tells the watchers of that event, which re-read the counts (one round
// trip) and push them. So a change made through any replica reaches the
// watchers on every replica; a burst of changes while a read or a write is
// under way is coalesced into one more push of the newest counts.
#ifndef CONVENE_ATTENDANCE_COUNTS_WATCH_H_
#define CONVENE_ATTENDANCE_COUNTS_WATCH_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "attendance/attendance_app.h"
#include "convene/v1/attendance.grpc.pb.h"
#include "core/clock.h"
#include "storage/redis_subscriber.h"

namespace convene::attendance {

class CountsWatcher;

// The process's subscription to counts changes and the watchers it serves.
class CountsHub {
 public:
  // Subscribes with its own connection (it resubscribes after reconnects).
  static absl::StatusOr<std::unique_ptr<CountsHub>> Start(
      const storage::RedisClientOptions& options);

  void Add(const std::string& event_id, CountsWatcher* watcher);
  void Remove(const std::string& event_id, CountsWatcher* watcher);
  // Ends every stream (server shutdown).
  void CloseAll();

 private:
  CountsHub() = default;
  void OnMessage(storage::RedisMessage message);

  std::unique_ptr<storage::RedisSubscriber> subscriber_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, absl::flat_hash_set<CountsWatcher*>>
      watchers_ ABSL_GUARDED_BY(mu_);
};

// One WatchAttendanceCounts stream: the counts now, then after each change.
class CountsWatcher final
    : public grpc::ServerWriteReactor<v1::AttendanceCounts> {
 public:
  CountsWatcher(AttendanceApp& app, CountsHub& hub, const core::Clock& clock,
                std::string event_id);

  // Registers with the hub and sends the first counts. Call once.
  void Start();
  // Re-reads and pushes the counts (coalesced).
  void Refresh();
  // Ends the stream with UNAVAILABLE (shutdown).
  void Close();
  // Ends the stream with `status` (its token was revoked, ...); any thread.
  void End(grpc::Status status);

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // Held as long as the stream lives (the caller's open-stream count).
  std::shared_ptr<void> stream_ticket;

 private:
  void OnCounts(absl::StatusOr<core::AttendanceCounts> counts);
  void WriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  AttendanceApp& app_;
  CountsHub& hub_;
  const core::Clock& clock_;
  const std::string event_id_;

  absl::Mutex mu_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool read_again_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // The newest counts not yet handed to gRPC, and the one being written.
  std::optional<v1::AttendanceCounts> next_ ABSL_GUARDED_BY(mu_);
  v1::AttendanceCounts sending_ ABSL_GUARDED_BY(mu_);
  int64_t last_version_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_COUNTS_WATCH_H_
