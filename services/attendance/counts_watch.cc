#include "attendance/counts_watch.h"

#include <utility>

#include "attendance/registration_mapping.h"
#include "auth/token_authenticator.h"
#include "rpc/status_conversion.h"
#include "storage/keys.h"

namespace convene::attendance {

absl::StatusOr<std::unique_ptr<CountsHub>> CountsHub::Start(
    const storage::RedisClientOptions& options) {
  std::unique_ptr<CountsHub> hub(new CountsHub());
  storage::RedisClientOptions own = options;
  own.on_connection_change = nullptr;
  absl::StatusOr<std::unique_ptr<storage::RedisSubscriber>> subscriber =
      storage::RedisSubscriber::Start(own,
                                      [h = hub.get()](storage::RedisMessage m) {
                                        h->OnMessage(std::move(m));
                                      });
  if (!subscriber.ok()) return subscriber.status();
  hub->subscriber_ = *std::move(subscriber);
  hub->subscriber_->PSubscribe({storage::keys::CountsChannelPattern()});
  return hub;
}

void CountsHub::Add(const std::string& event_id, CountsWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  watchers_[event_id].insert(watcher);
}

void CountsHub::Remove(const std::string& event_id, CountsWatcher* watcher) {
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(event_id);
  if (it == watchers_.end()) return;
  it->second.erase(watcher);
  if (it->second.empty()) watchers_.erase(it);
}

void CountsHub::OnMessage(storage::RedisMessage message) {
  const std::string event_id = storage::keys::EventOfCountsChannel(message.channel);
  absl::MutexLock lock(&mu_);
  auto it = watchers_.find(event_id);
  if (it == watchers_.end()) return;
  for (CountsWatcher* w : it->second) w->Refresh();
}

void CountsHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  for (auto& [event, set] : watchers_) {
    for (CountsWatcher* w : set) w->Close();
  }
}

CountsWatcher::CountsWatcher(AttendanceApp& app, CountsHub& hub,
                             const core::Clock& clock, std::string event_id)
    : app_(app), hub_(hub), clock_(clock), event_id_(std::move(event_id)) {}

void CountsWatcher::Start() {
  hub_.Add(event_id_, this);
  Refresh();
}

void CountsWatcher::Refresh() {
  {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (reading_) {
      read_again_ = true;
      return;
    }
    reading_ = true;
  }
  app_.GetAttendanceCounts(event_id_,
                           [this](absl::StatusOr<core::AttendanceCounts> c) {
                             OnCounts(std::move(c));
                           });
}

void CountsWatcher::OnCounts(absl::StatusOr<core::AttendanceCounts> counts) {
  bool again = false, delete_now = false;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (done_) {
      delete_now = true;
    } else if (!finished_) {
      if (!counts.ok()) {
        FinishLocked(rpc::ToGrpcStatus(counts.status()));
      } else if (counts->version != last_version_) {
        last_version_ = counts->version;
        next_ = CountsToProto(*counts, clock_.Now());
        WriteLocked();
      }
      again = read_again_ && !finished_;
      read_again_ = false;
    }
  }
  if (delete_now) {
    delete this;
    return;
  }
  if (again) Refresh();
}

void CountsWatcher::WriteLocked() {
  if (writing_ || !next_ || finished_) return;
  sending_ = *std::move(next_);
  next_.reset();
  writing_ = true;
  StartWrite(&sending_);
}

void CountsWatcher::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (!ok)
    return FinishLocked(
        grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
  WriteLocked();
}

void CountsWatcher::FinishLocked(grpc::Status status) {
  if (finished_) return;
  finished_ = true;
  Finish(std::move(status));
}

void CountsWatcher::Close() {
  End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "server shutting down"));
}

void CountsWatcher::End(grpc::Status status) {
  absl::MutexLock lock(&mu_);
  FinishLocked(std::move(status));
}

void CountsWatcher::OnCancel() {
  absl::MutexLock lock(&mu_);
  FinishLocked(grpc::Status::CANCELLED);
}

void CountsWatcher::OnDone() {
  auth::StreamGone(stream_ticket);
  hub_.Remove(event_id_, this);
  bool delete_now;
  {
    absl::MutexLock lock(&mu_);
    done_ = true;
    // A read in flight deletes the watcher when it lands.
    delete_now = !reading_;
  }
  if (delete_now) delete this;
}

}  // namespace convene::attendance
