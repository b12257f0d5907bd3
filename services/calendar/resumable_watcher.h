// ResumableWatcher: one server stream over a resumable Redis Stream feed
// (WatchEventChanges over the calendar's changes, WatchChanges over the
// change feed across services). It replays what came after the caller's
// position page by page, then forwards live entries from the process's
// StreamTailer, each exactly once and in order.
//
// Live entries that arrive while the replay runs are held back and sent
// after it, skipping those the replay already sent (the stream ids inside
// position tokens order them). A watcher from "now" first reads the
// position of the newest entry, so it, too, knows the feed's epoch that
// live entries' positions carry; with AnnounceStartIn it names that
// position to the client in the stream's initial metadata, which is all a
// quiet watcher that gets interrupted has to resume from.
//
//   auto* w = new ResumableWatcher<v1::Change>(source, tailer, on_done);
//   w->AnnounceStartIn(context, "x-convene-position");
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
#include "storage/stream_position.h"
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
    // The position token of the newest entry (where "from now on" starts).
    std::function<void(absl::AnyInvocable<void(absl::StatusOr<std::string>)>)> head;
    // The message for one live stream entry, its position a token of
    // `epoch`; nullopt: not for this watcher (filtered out, or undecodable).
    std::function<std::optional<Message>(const storage::RedisReply& entry,
                                         const std::string& epoch)>
        decode;
    // When set, used for live entries instead of `decode`: the messages for
    // a batch of them, answered later (a read of what the entries leave
    // out). Batches are decoded one at a time, in order.
    std::function<void(std::vector<storage::RedisReply> entries, std::string epoch,
                       PageDone done)>
        decode_batch;
    // A message's position token.
    std::function<std::string(const Message&)> position;
    // The request field positions arrive in ("position", "sync_token").
    std::string field;
  };

  // `on_done` runs when gRPC is finished with the stream, before the
  // watcher deletes itself. `tailer` must outlive the watcher.
  ResumableWatcher(Source source, storage::StreamTailer& tailer,
                   std::function<void(ResumableWatcher*)> on_done)
      : source_(std::move(source)), tailer_(tailer), on_done_(std::move(on_done)) {}

  // A watcher from now sends the position it starts after as `key` in the
  // initial metadata, before any message (gRPC would otherwise hold the
  // metadata back until the first message, which a filtered watcher may
  // not send for hours). Call before Start; `context` is the stream's.
  void AnnounceStartIn(grpc::CallbackServerContext* context, std::string key) {
    announce_context_ = context;
    announce_key_ = std::move(key);
  }

  // Subscribes to live entries, then replays those after `from` ("": from
  // the newest entry on). Call once, right after construction.
  void Start(std::string from) {
    // Subscribe before replaying, so nothing written in between is missed.
    subscription_ = tailer_.Subscribe(
        [this](const std::vector<storage::RedisReply>& entries) { OnLive(entries); });
    if (!from.empty()) return Replay(std::move(from));
    {
      absl::MutexLock lock(&mu_);
      ++in_flight_;
    }
    source_.head([this](absl::StatusOr<std::string> head) {
      if (head.ok()) StartAfter(*head);
      OnReplayPage(head.ok() ? absl::StatusOr<Page>(Page{{}, *head, true})
                             : absl::StatusOr<Page>(head.status()));
    });
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
      if (epoch_.empty()) {
        absl::StatusOr<storage::StreamPosition> p =
            storage::DecodeStreamPosition(from, source_.field);
        if (!p.ok()) {
          --in_flight_;
          return FinishLocked(rpc::ToGrpcStatus(p.status()));
        }
        epoch_ = p->epoch;
      }
    }
    source_.replay(std::move(from), [this](absl::StatusOr<Page> page) {
      OnReplayPage(std::move(page));
    });
  }

  // An announcing watcher from now starts after `head`: live entries at or
  // before it that came in while it was read are left out, so the stream
  // holds exactly what a resume after the announced position would replay.
  void StartAfter(const std::string& head) {
    if (announce_context_ == nullptr) return;
    absl::StatusOr<storage::StreamPosition> p =
        storage::DecodeStreamPosition(head, source_.field);
    absl::MutexLock lock(&mu_);
    if (p.ok() && last_sent_.empty()) last_sent_ = p->stream_id;
    if (finished_) return;
    // Nothing was written yet: live entries wait for the replay that
    // follows this, so the metadata goes out first.
    announce_context_->AddInitialMetadata(announce_key_, head);
    this->StartSendInitialMetadata();
  }

  void OnReplayPage(absl::StatusOr<Page> page) {
    std::string next;
    bool delete_now = false;
    std::vector<storage::RedisReply> to_decode;
    std::string epoch;
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
            std::vector<storage::RedisReply> held = std::move(held_);
            held_.clear();
            if (source_.decode_batch && !held.empty()) {
              // Still "replaying": live entries wait behind this batch.
              ++in_flight_;
              to_decode = std::move(held);
              epoch = epoch_;
            } else {
              replaying_ = false;
              DecodeLocked(held);
            }
          }
        }
      }
    }
    if (delete_now) {
      delete this;
      return;
    }
    if (!next.empty()) Replay(std::move(next));
    if (!to_decode.empty()) DecodeBatch(std::move(to_decode), std::move(epoch));
  }

  void DecodeBatch(std::vector<storage::RedisReply> entries, std::string epoch) {
    source_.decode_batch(std::move(entries), std::move(epoch),
                         [this](absl::StatusOr<Page> page) { OnReplayPage(std::move(page)); });
  }

  void OnLive(const std::vector<storage::RedisReply>& entries) {
    bool known_epoch = false;
    {
      absl::MutexLock lock(&mu_);
      if (finished_) return;
      // Held raw until the replay ends: the epoch their positions carry is
      // known by then.
      if (replaying_) {
        held_.insert(held_.end(), entries.begin(), entries.end());
        return;
      }
      if (!epoch_.empty() && !source_.decode_batch) return DecodeLocked(entries);
      held_.insert(held_.end(), entries.begin(), entries.end());
      replaying_ = true;
      ++in_flight_;
      known_epoch = !epoch_.empty();
    }
    // decode_batch: the held entries go through the end of OnReplayPage.
    if (known_epoch) return OnReplayPage(Page{});
    // The feed had no entry, so no epoch, when this watcher started; these
    // entries gave it one. Read it before sending their positions.
    source_.head([this](absl::StatusOr<std::string> head) {
      absl::StatusOr<storage::StreamPosition> p =
          head.ok() ? storage::DecodeStreamPosition(*head, source_.field)
                    : absl::StatusOr<storage::StreamPosition>(head.status());
      if (p.ok()) {
        absl::MutexLock lock(&mu_);
        epoch_ = p->epoch;
      }
      OnReplayPage(p.ok() ? absl::StatusOr<Page>(Page{}) : absl::StatusOr<Page>(p.status()));
    });
  }

  void DecodeLocked(const std::vector<storage::RedisReply>& entries)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const storage::RedisReply& entry : entries) {
      std::optional<Message> m = source_.decode(entry, epoch_);
      if (m) EnqueueLocked(*std::move(m));
    }
  }

  void EnqueueLocked(Message m) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    absl::StatusOr<storage::StreamPosition> position =
        storage::DecodeStreamPosition(source_.position(m), source_.field);
    if (!position.ok()) return;
    if (!last_sent_.empty() && !storage::StreamIdLess(last_sent_, position->stream_id)) {
      return;  // already sent by the replay
    }
    last_sent_ = std::move(position->stream_id);
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
  grpc::CallbackServerContext* announce_context_ = nullptr;
  std::string announce_key_;

  absl::Mutex mu_;
  std::deque<Message> queue_ ABSL_GUARDED_BY(mu_);
  // Live entries that came during the replay.
  std::vector<storage::RedisReply> held_ ABSL_GUARDED_BY(mu_);
  // The stream id of the last message queued (before any: of the position
  // an announcing watcher from now starts after).
  std::string last_sent_ ABSL_GUARDED_BY(mu_);
  // The feed's epoch, from the token replayed from.
  std::string epoch_ ABSL_GUARDED_BY(mu_);
  bool replaying_ ABSL_GUARDED_BY(mu_) = true;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  // gRPC is done with the stream (OnDone ran).
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  // Replay reads under way; the watcher outlives them.
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_RESUMABLE_WATCHER_H_
