// ResumableWatcher: one server stream over a resumable Redis Stream feed
// (WatchEventChanges over the calendar's changes, WatchChanges over the
// change feed across services). It replays what came after the caller's
// position page by page, then forwards live entries from the process's
// StreamTailer, each exactly once and in order.
//
// Live entries that arrive while the replay runs are held back and sent
// after it, skipping those the replay already sent (positions are stream
// ids, which order them).
//
//   auto* w = new ResumableWatcher<v1::Change>(source, tailer, on_done);
//   w->Start(request->position());
//   return w;
#ifndef CONVENE_CALENDAR_RESUMABLE_WATCHER_H_
#define CONVENE_CALENDAR_RESUMABLE_WATCHER_H_

#include <grpcpp/grpcpp.h>

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/token_authenticator.h"
#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "rpc/status_conversion.h"
#include "storage/redis_reply.h"
#include "storage/stream_range.h"
#include "storage/stream_tailer.h"

namespace convene::calendar {

template <typename Message>
class ResumableWatcher final : public grpc::ServerWriteReactor<Message> {
 public:
  // A watcher whose queue grows past this (a reader too slow to keep up) is
  // ended with RESOURCE_EXHAUSTED; it resumes from its last position.
  static constexpr size_t kMaxQueued = 10000;

  // One page of the replay: what to send, and where the next page starts.
  struct Page {
    std::vector<Message> messages;
    std::string next;
    bool has_more = false;
  };
  using PageDone = absl::AnyInvocable<void(absl::StatusOr<Page>)>;

  struct Source {
    // Reads the page after `from`.
    std::function<void(std::string from, PageDone done)> replay;
    // The message for one live stream entry; nullopt: not for this watcher
    // (filtered out, or undecodable).
    std::function<std::optional<Message>(const storage::RedisReply& entry)> decode;
    // A message's position in the feed.
    std::function<std::string(const Message&)> position;
  };

  // `on_done` runs when gRPC is finished with the stream, before the
  // watcher deletes itself. `tailer` must outlive the watcher.
  ResumableWatcher(Source source, storage::StreamTailer& tailer,
                   std::function<void(ResumableWatcher*)> on_done)
      : source_(std::move(source)), tailer_(tailer), on_done_(std::move(on_done)) {}

  // Subscribes to live entries, then replays those after `from` ("": live
  // entries only). Call once, right after construction.
  void Start(std::string from) {
    {
      absl::MutexLock lock(&mu_);
      replaying_ = !from.empty();
    }
    // Subscribe before replaying, so nothing written in between is missed.
    subscription_ = tailer_.Subscribe(
        [this](const std::vector<storage::RedisReply>& entries) { OnLive(entries); });
    if (!from.empty()) Replay(std::move(from));
  }

  // Ends the stream (for server shutdown): UNAVAILABLE, resume later.
  void Close() {
    End(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                     "server shutting down; resume from the last position"));
  }
  // Ends the stream with `status` (its token was revoked, ...); any thread.
  void End(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status));
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) return FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED, "write failed"));
    queue_.pop_front();
    WriteNextLocked();
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    auth::StreamGone(stream_ticket);
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

  // Held as long as the stream lives (the caller's open-stream count).
  std::shared_ptr<void> stream_ticket;

 private:
  void Replay(std::string from) {
    {
      absl::MutexLock lock(&mu_);
      ++in_flight_;
    }
    source_.replay(std::move(from), [this](absl::StatusOr<Page> page) {
      OnReplayPage(std::move(page));
    });
  }

  void OnReplayPage(absl::StatusOr<Page> page) {
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
          for (Message& m : page->messages) EnqueueLocked(std::move(m));
          if (page->has_more) {
            next = page->next;
          } else {
            replaying_ = false;
            std::vector<Message> held = std::move(held_);
            held_.clear();
            for (Message& m : held) EnqueueLocked(std::move(m));
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

  void OnLive(const std::vector<storage::RedisReply>& entries) {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    for (const storage::RedisReply& entry : entries) {
      std::optional<Message> m = source_.decode(entry);
      if (!m) continue;
      if (replaying_) {
        held_.push_back(*std::move(m));
      } else {
        EnqueueLocked(*std::move(m));
      }
    }
  }

  void EnqueueLocked(Message m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    std::string position = source_.position(m);
    if (!last_sent_.empty() && !storage::StreamIdLess(last_sent_, position)) {
      return;  // already sent by the replay
    }
    last_sent_ = std::move(position);
    queue_.push_back(std::move(m));
    if (queue_.size() > kMaxQueued) {
      return FinishLocked(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          "watcher fell too far behind; resume from the last position received"));
    }
    WriteNextLocked();
  }

  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || queue_.empty() || finished_) return;
    writing_ = true;
    this->StartWrite(&queue_.front());
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    this->Finish(std::move(status));
  }

  Source source_;
  storage::StreamTailer& tailer_;
  std::function<void(ResumableWatcher*)> on_done_;
  uint64_t subscription_ = 0;

  absl::Mutex mu_;
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<Message> held_ ABSL_GUARDED_BY(mu_);
  std::string last_sent_ ABSL_GUARDED_BY(mu_);
  bool replaying_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // gRPC is done with the stream (OnDone ran).
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // Replay reads under way; the watcher outlives them.
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_RESUMABLE_WATCHER_H_
