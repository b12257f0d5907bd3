#include "rpc/call_time_limit.h"

#include <grpcpp/server_context.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace convene::rpc {
namespace {

// Calls in progress by the instant they run out; one thread cancels them.
// Shared with the interceptors, which may outlive the factory.
class Timer {
 public:
  Timer() : thread_([this] { Run(); }) {}
  ~Timer() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }
  uint64_t Add(absl::Time at, grpc::ServerContextBase* context) {
    absl::MutexLock lock(&mu_);
    const uint64_t id = next_id_++;
    by_time_.emplace(at, id);
    calls_.emplace(id, std::make_pair(at, context));
    return id;
  }
  // After Remove returns, the timer will not touch the call's context again.
  void Remove(uint64_t id) {
    absl::MutexLock lock(&mu_);
    // A cancellation in progress may run the call to its end on the timer's
    // own thread; only another thread waits for it to finish.
    if (std::this_thread::get_id() != thread_.get_id()) {
      const NotCancelling not_cancelling{&cancelling_, id};
      mu_.Await(absl::Condition(&not_cancelling, &NotCancelling::Check));
    }
    auto it = calls_.find(id);
    if (it == calls_.end()) return;
    auto [from, to] = by_time_.equal_range(it->second.first);
    for (auto t = from; t != to; ++t) {
      if (t->second == id) {
        by_time_.erase(t);
        break;
      }
    }
    calls_.erase(it);
  }

 private:
  struct NotCancelling {
    const uint64_t* cancelling;
    uint64_t id;
    bool Check() const { return *cancelling != id; }
  };

  void Run() {
    absl::MutexLock lock(&mu_);
    while (!stop_) {
      const absl::Time now = absl::Now();
      if (!by_time_.empty() && by_time_.begin()->first <= now) {
        const uint64_t id = by_time_.begin()->second;
        grpc::ServerContextBase* context = calls_[id].second;
        by_time_.erase(by_time_.begin());
        calls_.erase(id);
        cancelling_ = id;
        mu_.Unlock();
        context->TryCancel();
        mu_.Lock();
        cancelling_ = 0;
        continue;
      }
      const absl::Time next = by_time_.empty() ? now + absl::Seconds(1) : by_time_.begin()->first;
      mu_.AwaitWithDeadline(absl::Condition(&stop_), std::min(next, now + absl::Seconds(1)));
    }
  }

  absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::multimap<absl::Time, uint64_t> by_time_ ABSL_GUARDED_BY(mu_);
  std::map<uint64_t, std::pair<absl::Time, grpc::ServerContextBase*>> calls_ ABSL_GUARDED_BY(mu_);
  uint64_t cancelling_ ABSL_GUARDED_BY(mu_) = 0;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class Limited final : public grpc::experimental::Interceptor {
 public:
  Limited(std::shared_ptr<Timer> timer, grpc::ServerContextBase* context, absl::Duration limit)
      : timer_(std::move(timer)), id_(timer_->Add(absl::Now() + limit, context)) {}
  // The call is over: its context must not be cancelled any more.
  ~Limited() override {
    if (!removed_) timer_->Remove(id_);
  }
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (!removed_ && methods->QueryInterceptionHookPoint(
                         grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      timer_->Remove(id_);
      removed_ = true;
    }
    methods->Proceed();
  }

 private:
  std::shared_ptr<Timer> timer_;
  const uint64_t id_;
  bool removed_ = false;
};

class Factory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit Factory(absl::Duration limit) : limit_(limit), timer_(std::make_shared<Timer>()) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (info->type() != grpc::experimental::ServerRpcInfo::Type::UNARY) return nullptr;
    return new Limited(timer_, info->server_context(), limit_);
  }

 private:
  const absl::Duration limit_;
  std::shared_ptr<Timer> timer_;
};

}  // namespace

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeCallTimeLimitInterceptorFactory(absl::Duration limit) {
  return std::make_unique<Factory>(limit);
}

}  // namespace convene::rpc
