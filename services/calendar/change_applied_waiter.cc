#include "calendar/change_applied_waiter.h"

#include <utility>
#include <vector>

#include "storage/keys.h"
#include "storage/stream_range.h"

namespace convene::calendar {

absl::StatusOr<std::unique_ptr<ChangeAppliedWaiter>> ChangeAppliedWaiter::Start(
    storage::RedisClientOptions options, ChangeAppliedWaiterOptions waiter_options) {
  std::unique_ptr<ChangeAppliedWaiter> waiter(new ChangeAppliedWaiter(waiter_options));
  ChangeAppliedWaiter* self = waiter.get();
  options.on_connection_change = nullptr;
  absl::StatusOr<std::unique_ptr<storage::RedisSubscriber>> subscriber =
      storage::RedisSubscriber::Start(std::move(options), [self](storage::RedisMessage m) {
        self->OnApplied(m.payload);
      });
  if (!subscriber.ok()) return subscriber.status();
  waiter->subscriber_ = *std::move(subscriber);
  waiter->subscriber_->Subscribe({storage::keys::AttendanceSheetsApplied()});
  waiter->expirer_ = std::thread([self] { self->ExpireLoop(); });
  return waiter;
}

ChangeAppliedWaiter::~ChangeAppliedWaiter() {
  subscriber_.reset();  // no more OnApplied
  std::multimap<absl::Time, Waiting> left;
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    left.swap(waiting_);
  }
  if (expirer_.joinable()) expirer_.join();
  for (auto& [deadline, w] : left) w.then();
}

void ChangeAppliedWaiter::After(const std::string& change_id, absl::AnyInvocable<void()> then) {
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = absl::Now();
    const bool follower_alive = now - heard_ < options_.silence;
    if (!stop_ && follower_alive && storage::StreamIdLess(applied_, change_id)) {
      waiting_.emplace(now + options_.bound, Waiting{change_id, std::move(then)});
      return;
    }
  }
  then();
}

void ChangeAppliedWaiter::OnApplied(const std::string& id) {
  std::vector<absl::AnyInvocable<void()>> ready;
  {
    absl::MutexLock lock(&mu_);
    heard_ = absl::Now();
    if (storage::StreamIdLess(applied_, id)) applied_ = id;
    for (auto it = waiting_.begin(); it != waiting_.end();) {
      if (!storage::StreamIdLess(applied_, it->second.change_id)) {
        ready.push_back(std::move(it->second.then));
        it = waiting_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& then : ready) then();
}

void ChangeAppliedWaiter::ExpireLoop() {
  while (true) {
    std::vector<absl::AnyInvocable<void()>> expired;
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
      const absl::Time now = absl::Now();
      while (!waiting_.empty() && waiting_.begin()->first <= now) {
        expired.push_back(std::move(waiting_.begin()->second.then));
        waiting_.erase(waiting_.begin());
      }
      if (expired.empty()) {
        const absl::Time next =
            waiting_.empty() ? now + absl::Milliseconds(100) : waiting_.begin()->first;
        mu_.AwaitWithDeadline(absl::Condition(&stop_), next);
        continue;
      }
    }
    for (auto& then : expired) then();
  }
}

}  // namespace convene::calendar
