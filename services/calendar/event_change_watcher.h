// EventChangeWatcher: one WatchEventChanges stream. It replays the changes
// after the caller's sync token, then forwards live changes from the
// process's StreamTailer, each exactly once and in order.
//
// Live changes that arrive while the replay runs are held back and sent
// after it, skipping those the replay already sent (stream ids order them).
#ifndef CONVENE_CALENDAR_EVENT_CHANGE_WATCHER_H_
#define CONVENE_CALENDAR_EVENT_CHANGE_WATCHER_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "calendar/calendar_app.h"
#include "convene/v1/calendar.grpc.pb.h"
#include "storage/stream_tailer.h"

namespace convene::calendar {

class EventChangeWatcher final
    : public grpc::ServerWriteReactor<v1::EventChange> {
 public:
  // A watcher whose queue grows past this (a reader too slow to keep up) is
  // ended with RESOURCE_EXHAUSTED; it resumes from its last sync token.
  static constexpr size_t kMaxQueued = 10000;

  // `on_done` runs when gRPC is finished with the stream, before the
  // watcher deletes itself.
  EventChangeWatcher(CalendarApp& app, storage::StreamTailer& tailer,
                     std::function<void(EventChangeWatcher*)> on_done);

  // Subscribes to live changes, then replays those after `sync_token`
  // ("": live changes only). Call once, right after construction.
  void Start(std::string sync_token);

  // Ends the stream (for server shutdown): UNAVAILABLE, resume later.
  void Close();

  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

  // Held as long as the stream lives (the caller's open-stream count).
  std::shared_ptr<void> stream_ticket;

 private:
  void Replay(std::string token);
  void OnReplayPage(absl::StatusOr<EventChangePage> page);
  void OnLive(const std::vector<storage::RedisReply>& entries);
  void EnqueueLocked(v1::EventChange change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  CalendarApp& app_;
  storage::StreamTailer& tailer_;
  std::function<void(EventChangeWatcher*)> on_done_;
  uint64_t subscription_ = 0;

  absl::Mutex mu_;
  std::deque<v1::EventChange> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::EventChange> held_ ABSL_GUARDED_BY(mu_);
  std::string last_sent_ ABSL_GUARDED_BY(mu_);
  bool replaying_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // gRPC is done with the stream (OnDone ran).
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // Replay reads under way; the watcher outlives them.
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

// Maps a decoded change to the wire.
v1::EventChange EventChangeToProto(const EventChangeRecord& change);

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_EVENT_CHANGE_WATCHER_H_
