// EventLoop: a libevent event_base driven by one dedicated thread, plus
// Timer, a one-shot timer on it. Internal to the storage library.
//
// Everything that touches hiredis runs on the loop thread; other threads
// hand work over with Post().
//
//   auto loop = EventLoop::Start("redis-main");
//   (*loop)->Post([] { /* runs on the loop thread */ });
//   (*loop)->Stop();  // runs what was posted, then joins
#ifndef CONVENE_STORAGE_INTERNAL_EVENT_LOOP_H_
#define CONVENE_STORAGE_INTERNAL_EVENT_LOOP_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct event_base;
struct event;

namespace convene::storage::internal {

class EventLoop {
 public:
  // Creates the event_base and starts its thread (named `name`, truncated to
  // 15 characters). SIGPIPE is blocked on that thread, so a write to a closed
  // socket fails with EPIPE instead of killing the process.
  static absl::StatusOr<std::unique_ptr<EventLoop>> Start(std::string name);

  // Stop()s, then frees the event_base. Every event created on base() must
  // have been freed before.
  ~EventLoop();

  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs `fn` on the loop thread, after everything posted before it. Once
  // Stop() has been called this returns false and drops `fn` unrun; callers
  // that must not lose work check their own shutdown flag first.
  bool Post(absl::AnyInvocable<void() &&> fn);

  // Runs every closure already posted (and any they post in turn), then ends
  // the loop and joins its thread. Idempotent. Must not be called on the loop
  // thread.
  void Stop();

  // True on the loop thread.
  bool InLoopThread() const;

  // For creating events; use them on the loop thread only.
  event_base* base() const { return base_; }

 private:
  EventLoop() = default;
  static void OnWake(int fd, short what, void* arg);
  void RunPosted();

  event_base* base_ = nullptr;
  event* wake_ = nullptr;
  std::thread thread_;
  std::atomic<std::thread::id> thread_id_;

  absl::Mutex mu_;
  std::vector<absl::AnyInvocable<void() &&>> posted_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex stop_mu_;  // serializes Stop() callers around the join
};

// A one-shot timer on an EventLoop. Create, arm, cancel and destroy it on the
// loop thread (or after the loop has stopped).
class Timer {
 public:
  Timer(EventLoop& loop, absl::AnyInvocable<void()> on_fire);
  ~Timer();

  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  // Fires once after `delay` (<= 0: on the next loop iteration), replacing
  // any earlier arming.
  void ArmAfter(absl::Duration delay);
  // Fires once at `when` (in the past: on the next loop iteration).
  void ArmAt(absl::Time when);
  // Disarms; no effect if not armed.
  void Cancel();
  bool armed() const { return armed_; }

 private:
  static void OnFire(int fd, short what, void* arg);

  event* event_ = nullptr;
  absl::AnyInvocable<void()> on_fire_;
  bool armed_ = false;
};

}  // namespace convene::storage::internal

#endif  // CONVENE_STORAGE_INTERNAL_EVENT_LOOP_H_
