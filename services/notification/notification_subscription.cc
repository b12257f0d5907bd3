#include "notification/notification_subscription.h"

#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/notification.h"
#include "core/access_policy.h"
#include "core/blocking_call.h"
#include "core/clock.h"
#include "notification/store_call.h"
#include "auth/token_authenticator.h"
#include "core/log.h"
#include "rpc/proto_time.h"
#include "rpc/status_conversion.h"
#include "rpc/unary_reply.h"
#include "storage/lua_script.h"
#include "notification/mail_worker.h"
#include "notification/outbox_reader.h"
#include "notification/webhook_worker.h"
#include "storage/redis_sync_client.h"

namespace convene::notification {

// The reactor; its thread reads and writes, and deletes it once gRPC is
// done with it and the thread has nothing left to do.
class NotificationSubscription final
    : public grpc::ServerWriteReactor<v1::Notification> {
 public:
  NotificationSubscription(SubscriptionHub& hub, std::string subscriber,
                           std::set<std::string> events, absl::Duration ack_timeout)
      : hub_(hub),
        subscriber_(std::move(subscriber)),
        consumer_(absl::StrFormat("%s-%08x", subscriber_, std::random_device()())),
        events_(std::move(events)),
        group_(GroupOf(subscriber_, events_)),
        ack_timeout_(ack_timeout) {}

  // The consumer group of a subscription. A filtered one (a token scoped
  // to some events must filter) gets a group of its own, named after the
  // subscriber and its filter, so what it skips is never taken from the
  // subscribers that see those events: "mailer" with [A] is
  // "mailer/<hash of A>", beside the every-event "mailer".
  static std::string GroupOf(const std::string& subscriber, const std::set<std::string>& events) {
    if (events.empty()) return subscriber;
    return absl::StrCat(subscriber, "/",
                        storage::Sha1Hex(absl::StrJoin(events, ",")).substr(0, 12));
  }

  void Begin() {
    std::thread([this] { Run(); }).detach();
  }

  // Any thread: ask the stream to end.
  void Close() { RequestStop(); }
  // Any thread: end the stream with `status` (its token was revoked, ...).
  void End(grpc::Status status) {
    {
      absl::MutexLock lock(&mu_);
      end_status_ = std::move(status);
    }
    RequestStop();
  }

  // Held as long as the stream lives (the caller's open-stream count).
  std::shared_ptr<void> stream_ticket;

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    write_pending_ = false;
    if (!ok) RequestStop();
  }
  void OnCancel() override { RequestStop(); }
  void OnDone() override {
    auth::StreamGone(stream_ticket);
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

 private:
  void Run() {
    grpc::Status end = Serve();
    {
      absl::MutexLock lock(&mu_);
      if (end_status_) end = *end_status_;
    }
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](bool* pending) { return !*pending; }, &write_pending_));
    }
    Finish(end);
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&done_));
    }
    hub_.Finished(this);
    delete this;
  }

  // Blocks until the write completes (or the stream ends); false: it ended.
  bool Write(const v1::Notification& n) {
    absl::MutexLock lock(&mu_);
    if (stop_.load()) return false;
    write_pending_ = true;
    StartWrite(&n);
    mu_.Await(absl::Condition(
        +[](bool* pending) { return !*pending; }, &write_pending_));
    return !stop_.load();
  }

  grpc::Status Serve() {
    storage::RedisClientOptions options = hub_.options_;
    options.on_connection_change = nullptr;
    absl::StatusOr<std::unique_ptr<storage::RedisSyncClient>> redis =
        storage::RedisSyncClient::Start(options);
    if (!redis.ok()) return rpc::ToGrpcStatus(redis.status());
    storage::OutboxReader reader(**redis, hub_.app_.reminder_shards());
    const core::Clock& clock = hub_.app_.clock();
    if (absl::Status s = reader.Join(group_, hub_.limits_, clock.Now());
        absl::IsResourceExhausted(s)) {
      return rpc::ToGrpcStatus(s);
    }
    // Often enough that an open stream's group is never taken for unused.
    const absl::Duration touch_every = std::min(absl::Minutes(1), hub_.limits_.idle / 4);
    absl::Time next_touch = clock.Now() + touch_every;
    absl::Time next_claim = absl::InfinitePast();
    while (!stop_.load()) {
      if (clock.Now() >= next_touch) {
        // Refused only if the group was removed meanwhile and the places
        // are taken: the stream ends rather than read past the bound.
        if (absl::Status s = reader.Join(group_, hub_.limits_, clock.Now());
            absl::IsResourceExhausted(s)) {
          return rpc::ToGrpcStatus(s);
        }
        next_touch = clock.Now() + touch_every;
      }
      std::vector<storage::OutboxEntry> entries;
      if (clock.Now() >= next_claim) {
        // Redelivery: entries this group was handed and never acknowledged.
        absl::StatusOr<std::vector<storage::OutboxEntry>> idle =
            reader.ClaimIdle(group_, consumer_, ack_timeout_, 100);
        if (idle.ok()) entries = *std::move(idle);
        next_claim = clock.Now() + std::min(ack_timeout_ / 4, absl::Seconds(5));
      }
      if (entries.empty()) {
        absl::StatusOr<std::vector<storage::OutboxEntry>> fresh =
            reader.ReadNew(group_, consumer_, 100, absl::Milliseconds(500));
        if (!fresh.ok()) {  // no shard answered: Redis away, wait for it
          clock.WaitFor(absl::Milliseconds(200), stopped_);
          continue;
        }
        entries = *std::move(fresh);
      }
      std::vector<storage::OutboxEntry> skipped;
      for (const storage::OutboxEntry& e : entries) {
        if (stop_.load()) break;
        if (!events_.empty() && !events_.count(e.event_id)) {
          skipped.push_back(e);
          continue;
        }
        absl::StatusOr<v1::Notification> n = core::BlockingCall<v1::Notification>(
            [&](auto done) { hub_.app_.GetNotification(e.notification_id, std::move(done)); },
            kStoreCallTimeout);
        if (absl::IsNotFound(n.status())) {
          skipped.push_back(e);  // erased since
          continue;
        }
        if (!n.ok()) break;  // Redis away; it stays pending and comes again
        if (!Write(*n)) break;
      }
      if (absl::Status s = reader.Skip(group_, skipped); !s.ok()) {
        core::LogWarn(absl::StrCat("subscription ", subscriber_, ": ", s.ToString()));
      }
    }
    if (absl::Status s = reader.Leave(group_); !s.ok()) {
      core::LogWarn(absl::StrCat("subscription ", subscriber_, ": ", s.ToString()));
    }
    return grpc::Status::OK;
  }


  SubscriptionHub& hub_;
  const std::string subscriber_;
  const std::string consumer_;
  const std::set<std::string> events_;
  const std::string group_;
  const absl::Duration ack_timeout_;
  // Any thread: the first request notifies stopped_, which the waits
  // between reads end on.
  void RequestStop() {
    if (!stop_.exchange(true)) stopped_.Notify();
  }

  std::atomic<bool> stop_{false};
  absl::Notification stopped_;
  absl::Mutex mu_;
  bool write_pending_ ABSL_GUARDED_BY(mu_) = false;
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::optional<grpc::Status> end_status_ ABSL_GUARDED_BY(mu_);
};

namespace {
storage::OutboxReader::GroupLimits WithOwnGroups(storage::OutboxReader::GroupLimits limits) {
  limits.own_groups = {MailWorker::kGroup, WebhookWorker::kGroup};
  if (limits.max_groups < 1) limits.max_groups = 1;
  if (limits.idle < absl::Seconds(1)) limits.idle = absl::Seconds(1);
  return limits;
}
}  // namespace

SubscriptionHub::SubscriptionHub(storage::RedisClientOptions options, NotificationApp& app,
                                 storage::OutboxReader::GroupLimits limits)
    : options_(std::move(options)), app_(app), limits_(WithOwnGroups(std::move(limits))) {}

SubscriptionHub::~SubscriptionHub() { CloseAll(); }

grpc::ServerWriteReactor<v1::Notification>* SubscriptionHub::Open(
    grpc::CallbackServerContext* context,
    const v1::SubscribeNotificationsRequest* request, std::shared_ptr<void> ticket) {
  absl::Status invalid = ValidateSubscriberName(request->subscriber());
  absl::Duration ack_timeout = absl::Seconds(60);
  if (invalid.ok() && request->has_ack_timeout()) {
    ack_timeout = rpc::DurationFromProto(request->ack_timeout());
    if (ack_timeout < absl::Seconds(5) || ack_timeout > absl::Hours(1)) {
      invalid = absl::InvalidArgumentError("ack_timeout: must be 5 s - 1 h");
    }
  }
  const std::vector<std::string> listed(request->event_ids().begin(), request->event_ids().end());
  if (invalid.ok()) invalid = core::CheckScopedEventIds("event_ids", listed);
  std::set<std::string> events(listed.begin(), listed.end());
  auto* s = new NotificationSubscription(*this, request->subscriber(),
                                         std::move(events), ack_timeout);
  {
    absl::MutexLock lock(&mu_);
    if (closing_) invalid = absl::UnavailableError("the server is shutting down");
    if (invalid.ok()) open_.insert(s);
  }
  if (!invalid.ok()) {
    delete s;  // never started
    return rpc::FinishStreamNow<v1::Notification>(invalid);
  }
  s->stream_ticket = std::move(ticket);
  auth::OnRevoked(s->stream_ticket, [s](grpc::Status status) { s->End(std::move(status)); });
  s->Begin();
  return s;
}

void SubscriptionHub::Finished(NotificationSubscription* s) {
  absl::MutexLock lock(&mu_);
  open_.erase(s);
}

void SubscriptionHub::CloseAll() {
  absl::MutexLock lock(&mu_);
  closing_ = true;
  for (NotificationSubscription* s : open_) s->Close();
  // Each thread notices within one blocking read (0.5 s).
  mu_.AwaitWithTimeout(absl::Condition(
                           +[](absl::flat_hash_set<NotificationSubscription*>* open) {
                             return open->empty();
                           },
                           &open_),
                       absl::Seconds(10));
}

}  // namespace convene::notification
