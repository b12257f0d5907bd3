// Live attendance counts for WatchAttendanceCounts.
//
// Every attendance script publishes "counts changed" on the event's channel
// (keys::CountsChannel). CountsHub holds one pattern subscription per process;
// on a change it reads the event's counts once (one round trip) and hands the
// same message to every watcher of that event on this replica. So a change
// made through any replica reaches the watchers on every replica, a thousand
// watchers of one event cost one read per change, not a thousand, and a burst
// of changes while a read is under way is coalesced into one more read of the
// newest counts (as is a burst while a watcher's write is under way).
#ifndef CONVENE_ATTENDANCE_COUNTS_WATCH_H_
#define CONVENE_ATTENDANCE_COUNTS_WATCH_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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

// What the hub hands an event's counts to (a WatchAttendanceCounts stream;
// an interface so the hub can be driven without gRPC in tests).
class CountsSink {
 public:
  virtual ~CountsSink() = default;
  // The days it asks for (empty: every day).
  virtual const std::vector<std::string>& days() const = 0;
  // Counts the hub read after a change, or why they could not be read.
  // Called with the hub's lock held.
  virtual void Deliver(
      const absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>>& counts) = 0;
  // Ends the stream with UNAVAILABLE (shutdown).
  virtual void Close() = 0;
};

// The process's subscription to counts changes and the watchers it serves.
class CountsHub {
 public:
  // Subscribes with its own connection (it resubscribes after reconnects).
  static absl::StatusOr<std::unique_ptr<CountsHub>> Start(
      const storage::RedisClientOptions& options);

  // Waits (up to a second) for its reads in flight to land.
  ~CountsHub();

  // Where the hub reads counts from; until then changes are not followed
  // (there are no watchers before the service serves). Both must outlive
  // the hub's reads.
  void ReadFrom(AttendanceApp& app, const core::Clock& clock);

  void Add(const std::string& event_id, CountsSink* watcher);
  void Remove(const std::string& event_id, CountsSink* watcher);
  // Ends every stream (server shutdown).
  void CloseAll();

 private:
  // The watchers of one event on this replica, and its shared read.
  struct EventWatch {
    absl::flat_hash_set<CountsSink*> watchers;
    bool reading = false;
    bool read_again = false;
    // The days the read under way reads: those its watchers asked for
    // (empty: every day, when one asked for all; when every day is more
    // than one answer holds, the days the others listed). A watcher that came
    // later and asked for others is left out of that read's delivery; the
    // change that comes after it joined starts a read that includes it.
    std::vector<std::string> days;
  };

  CountsHub() = default;
  void OnMessage(storage::RedisMessage message);
  // The subscription dropped (false) or is back (true); see Start.
  void OnListening(bool listening);
  // Reads the event's counts for its watchers (one read at a time).
  void Changed(const std::string& event_id);
  // Reads the counts of the days the event's watchers ask for.
  void Read(const std::string& event_id);
  void ReadDays(AttendanceApp& app, const std::string& event_id,
                std::vector<std::string> days);
  void OnCounts(const std::string& event_id, absl::StatusOr<core::AttendanceCounts> counts);

  std::unique_ptr<storage::RedisSubscriber> subscriber_;
  absl::Mutex mu_;
  AttendanceApp* app_ ABSL_GUARDED_BY(mu_) = nullptr;
  const core::Clock* clock_ ABSL_GUARDED_BY(mu_) = nullptr;
  int reads_in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  absl::flat_hash_map<std::string, EventWatch> events_ ABSL_GUARDED_BY(mu_);
};

// One WatchAttendanceCounts stream: the counts now, then after each change.
class CountsWatcher final
    : public grpc::ServerWriteReactor<v1::AttendanceCounts>, public CountsSink {
 public:
  // `days`: the days each message holds (empty: every day), as
  // GetAttendanceCounts takes them (CountsForDays).
  CountsWatcher(AttendanceApp& app, CountsHub& hub, const core::Clock& clock,
                std::string event_id, std::vector<std::string> days);

  // Registers with the hub, reads the counts and sends them. Call once.
  void Start();
  // Counts the hub read after a change: sent unless older than (or the same
  // as) what this stream sent or read last. A failed read ends the stream.
  // Called with the hub's lock held.
  void Deliver(
      const absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>>& counts) override;
  // Ends the stream with UNAVAILABLE (shutdown).
  void Close() override;
  // Ends the stream with `status` (its token was revoked, ...); any thread.
  void End(grpc::Status status);
  // The days each message holds (empty: every day).
  const std::vector<std::string>& days() const override { return days_; }

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // Held as long as the stream lives (the caller's open-stream count).
  std::shared_ptr<void> stream_ticket;

 private:
  void OnFirstCounts(absl::StatusOr<core::AttendanceCounts> counts);
  void OfferLocked(std::shared_ptr<const v1::AttendanceCounts> counts)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  AttendanceApp& app_;
  CountsHub& hub_;
  const core::Clock& clock_;
  const std::string event_id_;
  const std::vector<std::string> days_;

  absl::Mutex mu_;
  bool reading_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // The newest counts not yet handed to gRPC, and the ones being written
  // (shared with the event's other watchers: never modified).
  std::shared_ptr<const v1::AttendanceCounts> next_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const v1::AttendanceCounts> sending_ ABSL_GUARDED_BY(mu_);
  int64_t last_version_ ABSL_GUARDED_BY(mu_) = -1;
};

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_COUNTS_WATCH_H_
