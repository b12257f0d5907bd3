#include "calendar/event_change_watcher.h"

#include <utility>

#include "calendar/event_mapping.h"
#include "rpc/proto_time.h"
#include "rpc/status_conversion.h"
#include "storage/calendar_store.h"

namespace convene::calendar {

v1::EventChange EventChangeToProto(const EventChangeRecord& c) {
  v1::EventChange w;
  if (c.type == "created") {
    w.set_type(v1::EVENT_CHANGE_TYPE_CREATED);
  } else if (c.type == "cancelled") {
    w.set_type(v1::EVENT_CHANGE_TYPE_CANCELLED);
  } else {
    w.set_type(v1::EVENT_CHANGE_TYPE_UPDATED);
  }
  w.set_event_id(c.event.id);
  w.set_revision(c.event.revision);
  *w.mutable_change_time() = rpc::TimeToProto(c.event.update_time);
  *w.mutable_event() = EventToProto(c.event);
  w.set_sync_token(c.sync_token);
  w.set_reason(c.reason);
  return w;
}

EventChangeWatcher::EventChangeWatcher(
    CalendarApp& app, storage::StreamTailer& tailer,
    std::function<void(EventChangeWatcher*)> on_done)
    : app_(app), tailer_(tailer), on_done_(std::move(on_done)) {}

void EventChangeWatcher::Start(std::string sync_token) {
  {
    absl::MutexLock lock(&mu_);
    replaying_ = !sync_token.empty();
  }
  // Subscribe before replaying, so nothing written in between is missed.
  subscription_ = tailer_.Subscribe(
      [this](const std::vector<storage::RedisReply>& entries) { OnLive(entries); });
  if (!sync_token.empty()) Replay(std::move(sync_token));
}

void EventChangeWatcher::Replay(std::string token) {
  {
    absl::MutexLock lock(&mu_);
    ++in_flight_;
  }
  app_.ListEventChanges(std::move(token), CalendarApp::kMaxChangePage,
                        [this](absl::StatusOr<EventChangePage> page) {
                          OnReplayPage(std::move(page));
                        });
}

void EventChangeWatcher::OnReplayPage(absl::StatusOr<EventChangePage> page) {
  std::string next;
  bool delete_now = false;
  {
    absl::MutexLock lock(&mu_);
    --in_flight_;
    if (done_) {
      // gRPC finished with the stream while this page was being read.
      delete_now = in_flight_ == 0;
    } else if (!finished_) {
      if (!page.ok()) {
        FinishLocked(rpc::ToGrpcStatus(page.status()));
      } else {
        for (const EventChangeRecord& c : page->changes) {
          EnqueueLocked(EventChangeToProto(c));
        }
        if (page->has_more) {
          next = page->next_sync_token;
        } else {
          replaying_ = false;
          std::vector<v1::EventChange> held = std::move(held_);
          held_.clear();
          for (v1::EventChange& c : held) EnqueueLocked(std::move(c));
        }
      }
    }
  }
  if (delete_now) {
    delete this;
    return;
  }
  if (!next.empty()) Replay(std::move(next));
}

void EventChangeWatcher::OnLive(const std::vector<storage::RedisReply>& entries) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  for (const storage::RedisReply& entry : entries) {
    absl::StatusOr<storage::CalendarChange> raw =
        storage::CalendarStore::ParseChange(entry);
    if (!raw.ok()) continue;
    absl::StatusOr<EventChangeRecord> change = CalendarApp::DecodeChange(*raw);
    if (!change.ok()) continue;
    v1::EventChange wire = EventChangeToProto(*change);
    if (replaying_) {
      held_.push_back(std::move(wire));
    } else {
      EnqueueLocked(std::move(wire));
    }
  }
}

void EventChangeWatcher::EnqueueLocked(v1::EventChange change) {
  if (finished_) return;
  if (!last_sent_.empty() &&
      !storage::StreamIdLess(last_sent_, change.sync_token())) {
    return;  // already sent by the replay
  }
  last_sent_ = change.sync_token();
  queue_.push_back(std::move(change));
  if (queue_.size() > kMaxQueued) {
    return FinishLocked(grpc::Status(
        grpc::StatusCode::RESOURCE_EXHAUSTED,
        "watcher fell too far behind; resume with the last sync_token"));
  }
  WriteNextLocked();
}

void EventChangeWatcher::WriteNextLocked() {
  if (writing_ || queue_.empty() || finished_) return;
  writing_ = true;
  StartWrite(&queue_.front());
}

void EventChangeWatcher::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (!ok) return FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
  queue_.pop_front();
  WriteNextLocked();
}

void EventChangeWatcher::FinishLocked(grpc::Status status) {
  if (finished_) return;
  finished_ = true;
  Finish(std::move(status));
}

void EventChangeWatcher::Close() {
  absl::MutexLock lock(&mu_);
  FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "server shutting down; resume with the last sync_token"));
}

void EventChangeWatcher::OnCancel() {
  absl::MutexLock lock(&mu_);
  FinishLocked(grpc::Status::CANCELLED);
}

void EventChangeWatcher::OnDone() {
  tailer_.Unsubscribe(subscription_);
  if (on_done_) on_done_(this);
  bool delete_now;
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
    delete_now = in_flight_ == 0;
  }
  // Otherwise the replay page in flight deletes it when it lands.
  if (delete_now) delete this;
}

}  // namespace convene::calendar
