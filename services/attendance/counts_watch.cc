#include "attendance/counts_watch.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

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
  // Pub/sub loses what is published while the subscription is down (a
  // Redis restart or failover, a dropped connection): the streams end with
  // UNAVAILABLE then, so that no one shows old counts as live, and a
  // stream opened meanwhile is read again once the subscription is back.
  absl::StatusOr<std::unique_ptr<storage::RedisSubscriber>> subscriber =
      storage::RedisSubscriber::Start(
          own,
          [h = hub.get()](storage::RedisMessage m) { h->OnMessage(std::move(m)); },
          [h = hub.get()](bool listening) { h->OnListening(listening); });
  if (!subscriber.ok()) return subscriber.status();
  hub->subscriber_ = *std::move(subscriber);
  hub->subscriber_->PSubscribe({storage::keys::CountsChannelPattern()});
  return hub;
}

CountsHub::~CountsHub() {
  // Its callbacks use the hub: stopped while every member is still there.
  if (subscriber_) subscriber_->Shutdown();
  // A read in flight calls back into the hub: let it land first.
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](int* n) { return *n == 0; }, &reads_in_flight_),
                       absl::Seconds(1));
}

void CountsHub::ReadFrom(AttendanceApp& app, const core::Clock& clock) {
  absl::MutexLock lock(&mu_);
  app_ = &app;
  clock_ = &clock;
}

void CountsHub::Add(const std::string& event_id, CountsSink* watcher) {
  absl::MutexLock lock(&mu_);
  events_[event_id].watchers.insert(watcher);
}

void CountsHub::Remove(const std::string& event_id, CountsSink* watcher) {
  absl::MutexLock lock(&mu_);
  auto it = events_.find(event_id);
  if (it == events_.end()) return;
  it->second.watchers.erase(watcher);
  // An event with a read in flight keeps its entry until the read lands.
  if (it->second.watchers.empty() && !it->second.reading) events_.erase(it);
}

void CountsHub::OnMessage(storage::RedisMessage message) {
  Changed(storage::keys::EventOfCountsChannel(message.channel));
}

void CountsHub::OnListening(bool listening) {
  std::vector<std::string> watched;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [event_id, watch] : events_) {
      if (!listening) {
        for (CountsSink* w : watch.watchers) {
          w->Deliver(absl::UnavailableError(
              "live counts interrupted: the service lost its subscription to "
              "changes (Redis connection); watch again"));
        }
      } else if (!watch.watchers.empty()) {
        watched.push_back(event_id);
      }
    }
  }
  for (const std::string& event_id : watched) Changed(event_id);
}

void CountsHub::Changed(const std::string& event_id) {
  {
    absl::MutexLock lock(&mu_);
    auto it = events_.find(event_id);
    if (it == events_.end() || app_ == nullptr) return;
    if (it->second.reading) {
      it->second.read_again = true;
      return;
    }
    it->second.reading = true;
    ++reads_in_flight_;
  }
  Read(event_id);
}

void CountsHub::Read(const std::string& event_id) {
  AttendanceApp* app;
  std::vector<std::string> days;
  {
    absl::MutexLock lock(&mu_);
    app = app_;
    auto it = events_.find(event_id);
    if (it != events_.end()) {
      absl::flat_hash_set<std::string> wanted;
      bool every_day = false;
      for (CountsSink* w : it->second.watchers) {
        if (w->days().empty()) every_day = true;
        wanted.insert(w->days().begin(), w->days().end());
      }
      if (!every_day) days.assign(wanted.begin(), wanted.end());
      it->second.days = days;
    }
  }
  ReadDays(*app, event_id, std::move(days));
}

void CountsHub::ReadDays(AttendanceApp& app, const std::string& event_id,
                         std::vector<std::string> days) {
  app.GetAttendanceCounts(event_id, std::move(days),
                          [this, event_id](absl::StatusOr<core::AttendanceCounts> c) {
                            OnCounts(event_id, std::move(c));
                          });
}

void CountsHub::OnCounts(const std::string& event_id,
                         absl::StatusOr<core::AttendanceCounts> counts) {
  bool again = false;
  // The listed days, read again when every day was refused.
  std::optional<std::vector<std::string>> listed;
  AttendanceApp* app;
  {
    absl::MutexLock lock(&mu_);
    app = app_;
    // Converted once for every watcher of the event.
    const absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>> message =
        counts.ok() ? absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>>(
                          std::make_shared<const v1::AttendanceCounts>(
                              CountsToProto(*counts, clock_->Now())))
                    : counts.status();
    auto it = events_.find(event_id);
    if (it != events_.end() && it->second.days.empty() &&
        counts.status().code() == absl::StatusCode::kOutOfRange) {
      // Every day is more than one answer holds: those who asked for every
      // day are refused, as GetAttendanceCounts refuses them, and the days
      // the others listed are read again without them. Ending every stream
      // of the event let one watcher asking for too much (even one about to
      // be refused by its own first read) end a desk's watch of today.
      absl::flat_hash_set<std::string> wanted;
      for (CountsSink* w : it->second.watchers) {
        wanted.insert(w->days().begin(), w->days().end());
      }
      if (!wanted.empty()) {
        for (CountsSink* w : it->second.watchers) {
          if (w->days().empty()) w->Deliver(message);
        }
        listed.emplace(wanted.begin(), wanted.end());
        it->second.days = *listed;
      }
    }
    if (!listed && it != events_.end()) {
      const std::vector<std::string>& read = it->second.days;
      for (CountsSink* w : it->second.watchers) {
        const bool covered =
            read.empty() || (!w->days().empty() &&
                             std::all_of(w->days().begin(), w->days().end(), [&](const std::string& d) {
                               return std::find(read.begin(), read.end(), d) != read.end();
                             }));
        if (covered) w->Deliver(message);
      }
      EventWatch& watch = it->second;
      again = watch.read_again && !watch.watchers.empty();
      watch.read_again = false;
      if (!again) {
        watch.reading = false;
        if (watch.watchers.empty()) events_.erase(it);
      }
    }
    // The read goes on (again, or for the listed days): still in flight.
    if (!again && !listed) --reads_in_flight_;
  }
  if (listed) return ReadDays(*app, event_id, *std::move(listed));
  if (again) Read(event_id);
}

void CountsHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  for (auto& [event, watch] : events_) {
    for (CountsSink* w : watch.watchers) w->Close();
  }
}

CountsWatcher::CountsWatcher(AttendanceApp& app, CountsHub& hub,
                             const core::Clock& clock, std::string event_id,
                             std::vector<std::string> days)
    : app_(app), hub_(hub), clock_(clock), event_id_(std::move(event_id)),
      days_(std::move(days)) {}

void CountsWatcher::Start() {
  {
    absl::MutexLock lock(&mu_);
    reading_ = true;
  }
  // Registered first: a change from here on reaches this stream through the
  // hub, whichever read lands first (the newer counts win).
  hub_.Add(event_id_, this);
  app_.GetAttendanceCounts(event_id_, days_, [this](absl::StatusOr<core::AttendanceCounts> c) {
    OnFirstCounts(std::move(c));
  });
}

void CountsWatcher::OnFirstCounts(absl::StatusOr<core::AttendanceCounts> counts) {
  bool delete_now = false;
  {
    absl::MutexLock lock(&mu_);
    reading_ = false;
    if (done_) {
      delete_now = true;
    } else if (!finished_) {
      absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>> asked =
          counts.ok() ? CountsForDays(std::make_shared<const v1::AttendanceCounts>(
                                          CountsToProto(*counts, clock_.Now())),
                                      days_, /*check_days=*/true)
                      : counts.status();
      if (!asked.ok()) {
        FinishLocked(rpc::ToGrpcStatus(asked.status()));
      } else {
        OfferLocked(*std::move(asked));
      }
    }
  }
  if (delete_now) delete this;
}

void CountsWatcher::Deliver(
    const absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>>& counts) {
  absl::MutexLock lock(&mu_);
  if (finished_) return;
  if (!counts.ok()) return FinishLocked(rpc::ToGrpcStatus(counts.status()));
  absl::StatusOr<std::shared_ptr<const v1::AttendanceCounts>> asked =
      CountsForDays(*counts, days_, /*check_days=*/false);
  if (!asked.ok()) return FinishLocked(rpc::ToGrpcStatus(asked.status()));
  OfferLocked(*std::move(asked));
}

void CountsWatcher::OfferLocked(std::shared_ptr<const v1::AttendanceCounts> counts) {
  // Versions only rise (every change and an audit's repair raise it), so an
  // older read landing after a newer one is dropped.
  if (counts->version() <= last_version_) return;
  last_version_ = counts->version();
  next_ = std::move(counts);
  WriteLocked();
}

void CountsWatcher::WriteLocked() {
  if (writing_ || !next_ || finished_) return;
  sending_ = std::move(next_);
  next_.reset();
  writing_ = true;
  StartWrite(sending_.get());
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
