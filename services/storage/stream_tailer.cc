#include "storage/stream_tailer.h"

#include <utility>

#include "absl/time/clock.h"

namespace convene::storage {
namespace {

// How long one XREAD blocks in Redis; also bounds how long shutdown waits.
constexpr int kBlockMillis = 1000;
constexpr absl::Duration kRetryDelay = absl::Milliseconds(200);

}  // namespace

absl::StatusOr<std::unique_ptr<StreamTailer>> StreamTailer::Start(
    RedisClientOptions options, std::string key) {
  // A blocked XREAD holds the connection for kBlockMillis: the silence
  // allowance must exceed it so the client does not take it for a hang.
  options.command_timeout =
      std::max(options.command_timeout, absl::Milliseconds(kBlockMillis) + absl::Seconds(2));
  // The owner's connection listener reports the main connection already.
  options.on_connection_change = nullptr;
  absl::StatusOr<std::unique_ptr<RedisSyncClient>> redis =
      RedisSyncClient::Start(std::move(options));
  if (!redis.ok()) return redis.status();
  std::unique_ptr<StreamTailer> tailer(
      new StreamTailer(*std::move(redis), std::move(key)));
  tailer->thread_ = std::thread([t = tailer.get()] { t->Run(); });
  return tailer;
}

StreamTailer::StreamTailer(std::unique_ptr<RedisSyncClient> redis, std::string key)
    : redis_(std::move(redis)), key_(std::move(key)), last_id_("0-0") {}

StreamTailer::~StreamTailer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  redis_->async().Shutdown();
}

uint64_t StreamTailer::Subscribe(Listener listener) {
  absl::MutexLock lock(&mu_);
  const uint64_t handle = next_handle_++;
  listeners_.emplace(handle, std::move(listener));
  return handle;
}

void StreamTailer::Unsubscribe(uint64_t handle) {
  absl::MutexLock delivery(&delivery_mu_);
  absl::MutexLock lock(&mu_);
  listeners_.erase(handle);
}

std::string StreamTailer::last_id() const {
  absl::MutexLock lock(&mu_);
  return last_id_;
}

void StreamTailer::Run() {
  while (!stop_) {
    bool positioned;
    std::string from;
    {
      absl::MutexLock lock(&mu_);
      positioned = positioned_;
      from = last_id_;
    }
    if (!positioned) {
      // Start after the newest entry: watchers see what is written from now
      // on (they replay older entries themselves when they need them).
      absl::StatusOr<RedisReply> newest =
          redis_->Command({"XREVRANGE", key_, "+", "-", "COUNT", "1"});
      if (!newest.ok()) {
        absl::SleepFor(kRetryDelay);
        continue;
      }
      absl::MutexLock lock(&mu_);
      if (!newest->elements().empty()) {
        last_id_ = newest->elements()[0].elements()[0].text();
      }
      positioned_ = true;
      continue;
    }
    absl::StatusOr<RedisReply> reply = redis_->Command(
        {"XREAD", "COUNT", "500", "BLOCK", std::to_string(kBlockMillis),
         "STREAMS", key_, from},
        absl::Milliseconds(kBlockMillis) + absl::Seconds(2));
    if (!reply.ok()) {
      absl::SleepFor(kRetryDelay);
      continue;
    }
    if (reply->is_nil() || reply->elements().empty()) continue;  // timed out
    // [[key, [entry, ...]]]
    const auto streams = reply->elements();
    if (streams[0].elements().size() != 2) continue;
    std::vector<RedisReply> entries(streams[0].elements()[1].elements().begin(),
                                    streams[0].elements()[1].elements().end());
    if (entries.empty()) continue;
    absl::MutexLock delivery(&delivery_mu_);
    std::vector<Listener> listeners;
    {
      absl::MutexLock lock(&mu_);
      last_id_ = entries.back().elements()[0].text();
      for (auto& [handle, listener] : listeners_) listeners.push_back(listener);
    }
    for (const Listener& listener : listeners) listener(entries);
  }
}

}  // namespace convene::storage
