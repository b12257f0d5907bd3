#include "storage/redis_subscriber.h"

#include <hiredis/async.h>

#include <cstring>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/internal/event_loop.h"
#include "core/log.h"
#include "storage/internal/redis_connection.h"

namespace convene::storage {
namespace {

using internal::RedisConnection;

std::string ElementText(const redisReply* r, size_t i) {
  const redisReply* e = r->element[i];
  if (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS) return "";
  return std::string(e->str, e->len);
}

absl::Status Cancelled() {
  return absl::CancelledError("redis subscriber was shut down");
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisSubscriber>> RedisSubscriber::Start(
    RedisClientOptions options, MessageCallback on_message,
    ListeningCallback on_listening) {
  if (absl::Status s = ValidateRedisClientOptions(options); !s.ok()) return s;
  if (!on_message) {
    return absl::InvalidArgumentError("RedisSubscriber needs a message callback");
  }
  std::unique_ptr<RedisSubscriber> subscriber(
      new RedisSubscriber(std::move(options), std::move(on_message),
                          std::move(on_listening)));
  absl::StatusOr<std::unique_ptr<internal::EventLoop>> loop =
      internal::EventLoop::Start("redis-sub");
  if (!loop.ok()) return loop.status();
  RedisSubscriber* self = subscriber.get();
  self->loop_ = *std::move(loop);
  self->connection_ = std::make_unique<RedisConnection>(
      *self->loop_, self->options_, self,
      RedisConnection::Handlers{
          .on_ready = [self] { self->OnReady(); },
          .on_down = [self](const absl::Status& s) { self->OnDown(s); }});
  self->loop_->Post([self] { self->connection_->Start(); });
  return subscriber;
}

RedisSubscriber::RedisSubscriber(RedisClientOptions options,
                                 MessageCallback on_message,
                                 ListeningCallback on_listening)
    : options_(std::move(options)),
      on_message_(std::move(on_message)),
      on_listening_(std::move(on_listening)) {}

RedisSubscriber::~RedisSubscriber() { Shutdown(); }

bool RedisSubscriber::connected() const {
  return connection_ != nullptr && connection_->connected();
}

bool RedisSubscriber::PostUnlessShutDown(absl::AnyInvocable<void() &&> fn) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return false;
  loop_->Post(std::move(fn));
  return true;
}

void RedisSubscriber::Subscribe(std::vector<std::string> channels,
                                DoneCallback done) {
  // The callback is shared so it survives a refused post.
  auto shared = std::make_shared<DoneCallback>(std::move(done));
  if (!PostUnlessShutDown([this, channels = std::move(channels), shared]() mutable {
        Add(/*pattern=*/false, std::move(channels), std::move(*shared));
      }) &&
      *shared) {
    (*shared)(Cancelled());
  }
}

void RedisSubscriber::PSubscribe(std::vector<std::string> patterns,
                                 DoneCallback done) {
  auto shared = std::make_shared<DoneCallback>(std::move(done));
  if (!PostUnlessShutDown([this, patterns = std::move(patterns), shared]() mutable {
        Add(/*pattern=*/true, std::move(patterns), std::move(*shared));
      }) &&
      *shared) {
    (*shared)(Cancelled());
  }
}

void RedisSubscriber::Unsubscribe(std::vector<std::string> channels) {
  PostUnlessShutDown([this, channels = std::move(channels)]() mutable {
    Remove(/*pattern=*/false, std::move(channels));
  });
}

void RedisSubscriber::PUnsubscribe(std::vector<std::string> patterns) {
  PostUnlessShutDown([this, patterns = std::move(patterns)]() mutable {
    Remove(/*pattern=*/true, std::move(patterns));
  });
}

void RedisSubscriber::Add(bool pattern, std::vector<std::string> names,
                          DoneCallback done) {
  Kind& kind = pattern ? patterns_ : channels_;
  std::vector<std::string> fresh;
  for (const std::string& name : names) {
    if (kind.wanted.insert(name).second) fresh.push_back(name);
  }
  if (connection_->state() == RedisConnection::State::kReady && !fresh.empty()) {
    SendSubscribe(kind, fresh);
  }
  if (!done) return;
  Waiter waiter;
  for (const std::string& name : names) {
    if (!kind.confirmed.contains(name)) {
      (pattern ? waiter.patterns : waiter.channels).insert(name);
    }
  }
  if (waiter.channels.empty() && waiter.patterns.empty()) {
    done(absl::OkStatus());
    return;
  }
  RedisConnection::State state = connection_->state();
  if (state != RedisConnection::State::kReady &&
      state != RedisConnection::State::kConnecting) {
    done(connection_->last_failure());
    return;
  }
  waiter.done = std::move(done);
  waiters_.push_back(std::move(waiter));
}

void RedisSubscriber::Remove(bool pattern, std::vector<std::string> names) {
  Kind& kind = pattern ? patterns_ : channels_;
  std::vector<std::string> gone;
  for (const std::string& name : names) {
    if (kind.wanted.erase(name) > 0) gone.push_back(name);
  }
  if (gone.empty()) return;
  // Nobody waits for a subscription that was withdrawn.
  for (Waiter& waiter : waiters_) {
    for (const std::string& name : gone) {
      (pattern ? waiter.patterns : waiter.channels).erase(name);
    }
  }
  FinishWaiters();
  redisAsyncContext* ac = connection_->context();
  if (ac == nullptr) return;
  std::vector<const char*> argv = {kind.unsubscribe};
  std::vector<size_t> lengths = {strlen(kind.unsubscribe)};
  for (const std::string& name : gone) {
    argv.push_back(name.data());
    lengths.push_back(name.size());
  }
  // Replies to UNSUBSCRIBE arrive through the channels' own callbacks.
  redisAsyncCommandArgv(ac, &RedisSubscriber::OnPush, nullptr,
                        static_cast<int>(argv.size()), argv.data(),
                        lengths.data());
}

void RedisSubscriber::SendSubscribe(const Kind& kind,
                                    const std::vector<std::string>& names) {
  redisAsyncContext* ac = connection_->context();
  if (ac == nullptr || names.empty()) return;
  std::vector<const char*> argv = {kind.subscribe};
  std::vector<size_t> lengths = {strlen(kind.subscribe)};
  for (const std::string& name : names) {
    argv.push_back(name.data());
    lengths.push_back(name.size());
  }
  // hiredis registers OnPush per channel: it receives the confirmations and
  // every later message.
  if (redisAsyncCommandArgv(ac, &RedisSubscriber::OnPush, nullptr,
                            static_cast<int>(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    core::LogWarn(absl::StrCat("redis ", connection_->address_text(),
                                      ": could not send ", kind.subscribe));
  }
}

void RedisSubscriber::OnReady() {
  channels_.confirmed.clear();
  patterns_.confirmed.clear();
  for (Kind* kind : {&channels_, &patterns_}) {
    SendSubscribe(*kind, std::vector<std::string>(kind->wanted.begin(),
                                                  kind->wanted.end()));
  }
}

void RedisSubscriber::OnDown(const absl::Status& status) {
  channels_.confirmed.clear();
  patterns_.confirmed.clear();
  if (listening_) {
    listening_ = false;
    if (on_listening_) on_listening_(false);
  }
  std::list<Waiter> waiters;
  waiters.swap(waiters_);
  for (Waiter& waiter : waiters) waiter.done(status);
}

void RedisSubscriber::OnConfirmed(bool pattern, const std::string& name) {
  Kind& kind = pattern ? patterns_ : channels_;
  // A name removed meanwhile is about to be unsubscribed: not active.
  if (!kind.wanted.contains(name)) return;
  kind.confirmed.insert(name);
  for (Waiter& waiter : waiters_) {
    (pattern ? waiter.patterns : waiter.channels).erase(name);
  }
  FinishWaiters();
  auto all_active = [](const Kind& k) {
    for (const std::string& w : k.wanted) {
      if (!k.confirmed.contains(w)) return false;
    }
    return true;
  };
  if (!listening_ && all_active(channels_) && all_active(patterns_)) {
    listening_ = true;
    if (on_listening_) on_listening_(true);
  }
}

void RedisSubscriber::FinishWaiters() {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (it->channels.empty() && it->patterns.empty()) {
      DoneCallback done = std::move(it->done);
      it = waiters_.erase(it);
      done(absl::OkStatus());
    } else {
      ++it;
    }
  }
}

void RedisSubscriber::OnPush(redisAsyncContext* ac, void* reply,
                             void* /*privdata*/) {
  // NULL: the connection is going away; OnDown follows.
  if (reply == nullptr) return;
  auto* self = static_cast<RedisSubscriber*>(RedisConnection::Owner(ac));
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  std::string type = ElementText(r, 0);
  // A name removed by Unsubscribe() may still see messages until Redis has
  // processed the UNSUBSCRIBE: drop them.
  if (type == "message") {
    if (!self->channels_.wanted.contains(ElementText(r, 1))) return;
    self->on_message_(RedisMessage{.channel = ElementText(r, 1),
                                   .pattern = "",
                                   .payload = ElementText(r, 2)});
  } else if (type == "pmessage" && r->elements >= 4) {
    if (!self->patterns_.wanted.contains(ElementText(r, 1))) return;
    self->on_message_(RedisMessage{.channel = ElementText(r, 2),
                                   .pattern = ElementText(r, 1),
                                   .payload = ElementText(r, 3)});
  } else if (type == "subscribe" || type == "psubscribe") {
    self->OnConfirmed(type == "psubscribe", ElementText(r, 1));
  } else if (type == "unsubscribe") {
    self->channels_.confirmed.erase(ElementText(r, 1));
  } else if (type == "punsubscribe") {
    self->patterns_.confirmed.erase(ElementText(r, 1));
  }
}

void RedisSubscriber::Shutdown() {
  {
    absl::MutexLock lock(&mu_);
    if (!shut_down_) {
      shut_down_ = true;
      if (loop_ != nullptr && connection_ != nullptr) {
        loop_->Post([this] { ShutdownOnLoop(); });
      }
    }
  }
  if (loop_ != nullptr) loop_->Stop();
}

void RedisSubscriber::ShutdownOnLoop() {
  connection_->Shutdown(Cancelled());
  OnDown(Cancelled());
}

}  // namespace convene::storage
