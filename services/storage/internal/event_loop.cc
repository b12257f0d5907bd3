#include "storage/internal/event_loop.h"

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <utility>

#include "absl/status/status.h"

namespace convene::storage::internal {
namespace {

// libevent needs its locking callbacks installed before any event_base that
// is touched from several threads (event_active from Post) is created.
bool UseLibeventThreads() {
  static const bool ok = evthread_use_pthreads() == 0;
  return ok;
}

timeval NonNegativeTimeval(absl::Duration d) {
  d = std::max(d, absl::ZeroDuration());
  return absl::ToTimeval(d);
}

}  // namespace

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Start(std::string name) {
  if (!UseLibeventThreads()) {
    return absl::InternalError("libevent: evthread_use_pthreads failed");
  }
  std::unique_ptr<EventLoop> loop(new EventLoop());
  loop->base_ = event_base_new();
  if (loop->base_ == nullptr) {
    return absl::InternalError("libevent: event_base_new failed");
  }
  loop->wake_ = event_new(loop->base_, -1, 0, &EventLoop::OnWake, loop.get());
  if (loop->wake_ == nullptr) {
    return absl::InternalError("libevent: event_new failed");
  }
  name.resize(std::min<size_t>(name.size(), 15));
  EventLoop* self = loop.get();
  loop->thread_ = std::thread([self, name] {
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &block, nullptr);
    pthread_setname_np(pthread_self(), name.c_str());
    event_base_loop(self->base_, EVLOOP_NO_EXIT_ON_EMPTY);
  });
  // Nothing runs on the loop before something is posted, which needs Start()
  // to have returned: the id is in place before it matters.
  loop->thread_id_.store(loop->thread_.get_id());
  return loop;
}

EventLoop::~EventLoop() {
  Stop();
  if (wake_ != nullptr) event_free(wake_);
  if (base_ != nullptr) event_base_free(base_);
}

bool EventLoop::Post(absl::AnyInvocable<void() &&> fn) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  posted_.push_back(std::move(fn));
  // One wake-up covers everything queued before the loop drains the queue.
  if (posted_.size() == 1) event_active(wake_, EV_READ, 0);
  return true;
}

void EventLoop::Stop() {
  if (InLoopThread()) {
    std::fprintf(stderr,
                 "convene storage: EventLoop::Stop called on its own thread "
                 "(a client was shut down or destroyed from its callback)\n");
    std::abort();
  }
  absl::MutexLock stop_lock(&stop_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (!stopping_ && thread_.joinable()) {
      stopping_ = true;
      event_active(wake_, EV_READ, 0);
    }
  }
  if (thread_.joinable()) {
    thread_.join();
    // A later thread may get the same id: forget it.
    thread_id_.store(std::thread::id());
  }
}

bool EventLoop::InLoopThread() const {
  return std::this_thread::get_id() == thread_id_.load();
}

void EventLoop::OnWake(int, short, void* arg) {
  static_cast<EventLoop*>(arg)->RunPosted();
}

void EventLoop::RunPosted() {
  std::vector<absl::AnyInvocable<void() &&>> batch;
  bool stopping = false;
  {
    absl::MutexLock lock(&mu_);
    batch.swap(posted_);
    stopping = stopping_;
  }
  // Closures posted while these run re-activate the wake event (posted_ went
  // from empty to non-empty), so I/O and timers get their turn in between.
  for (auto& fn : batch) std::move(fn)();
  if (stopping) {
    absl::MutexLock lock(&mu_);
    if (posted_.empty()) event_base_loopbreak(base_);
  }
}

Timer::Timer(EventLoop& loop, absl::AnyInvocable<void()> on_fire)
    : event_(event_new(loop.base(), -1, 0, &Timer::OnFire, this)),
      on_fire_(std::move(on_fire)) {
  if (event_ == nullptr) {
    std::fprintf(stderr, "convene storage: libevent event_new failed\n");
    std::abort();
  }
}

Timer::~Timer() { event_free(event_); }

void Timer::ArmAfter(absl::Duration delay) {
  timeval tv = NonNegativeTimeval(delay);
  event_add(event_, &tv);
  armed_ = true;
}

void Timer::ArmAt(absl::Time when) { ArmAfter(when - absl::Now()); }

void Timer::Cancel() {
  if (!armed_) return;
  event_del(event_);
  armed_ = false;
}

void Timer::OnFire(int, short, void* arg) {
  Timer* self = static_cast<Timer*>(arg);
  self->armed_ = false;
  self->on_fire_();
}

}  // namespace convene::storage::internal
