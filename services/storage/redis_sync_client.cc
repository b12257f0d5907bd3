#include "storage/redis_sync_client.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"

namespace convene::storage {
namespace {

// How much longer than the call's deadline to wait for its callback. The
// client completes every call by its deadline; this margin only absorbs
// scheduling delays on a busy machine before we give up on it.
constexpr absl::Duration kGrace = absl::Seconds(1);

// Shared with the callback, which may (in theory) outlive the waiting caller.
template <typename T>
struct Slot {
  absl::Mutex mu;
  std::optional<T> value ABSL_GUARDED_BY(mu);
};

template <typename T, typename StartCall>
T Wait(RedisClient& client, absl::Duration timeout, StartCall start) {
  if (client.InLoopThread()) {
    return absl::FailedPreconditionError(
        "RedisSyncClient called from a RedisClient callback: it would "
        "deadlock");
  }
  auto slot = std::make_shared<Slot<T>>();
  absl::Time deadline = absl::Now() + timeout;
  start(deadline, [slot](T result) {
    absl::MutexLock lock(&slot->mu);
    slot->value = std::move(result);
  });
  absl::MutexLock lock(&slot->mu);
  auto has_value = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(slot->mu) {
    return slot->value.has_value();
  };
  if (!slot->mu.AwaitWithDeadline(absl::Condition(&has_value),
                                  deadline + kGrace)) {
    return absl::UnavailableError(absl::StrCat(
        "redis ", client.address(), ": no outcome within ",
        absl::FormatDuration(timeout)));
  }
  return *std::move(slot->value);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisSyncClient>> RedisSyncClient::Start(
    RedisClientOptions options) {
  absl::StatusOr<std::unique_ptr<RedisClient>> client =
      RedisClient::Start(std::move(options));
  if (!client.ok()) return client.status();
  return std::unique_ptr<RedisSyncClient>(
      new RedisSyncClient(*std::move(client)));
}

RedisSyncClient::RedisSyncClient(RedisClient& client) : client_(&client) {}

RedisSyncClient::RedisSyncClient(std::unique_ptr<RedisClient> owned)
    : owned_(std::move(owned)), client_(owned_.get()) {}

absl::StatusOr<RedisReply> RedisSyncClient::Command(
    std::vector<std::string> argv, std::optional<absl::Duration> timeout) {
  return Wait<absl::StatusOr<RedisReply>>(
      *client_, timeout.value_or(client_->options().command_timeout),
      [&](absl::Time deadline, RedisClient::ReplyCallback done) {
        client_->Command(std::move(argv), deadline, std::move(done));
      });
}

absl::StatusOr<RedisReply> RedisSyncClient::Eval(
    const LuaScript& script, std::vector<std::string> keys,
    std::vector<std::string> args, std::optional<absl::Duration> timeout) {
  return Wait<absl::StatusOr<RedisReply>>(
      *client_, timeout.value_or(client_->options().command_timeout),
      [&](absl::Time deadline, RedisClient::ReplyCallback done) {
        client_->Eval(script, std::move(keys), std::move(args), deadline,
                      std::move(done));
      });
}

absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>>
RedisSyncClient::Pipeline(std::vector<std::vector<std::string>> commands,
                          std::optional<absl::Duration> timeout) {
  return Wait<absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>>>(
      *client_, timeout.value_or(client_->options().command_timeout),
      [&](absl::Time deadline, RedisClient::PipelineCallback done) {
        client_->Pipeline(std::move(commands), deadline, std::move(done));
      });
}

}  // namespace convene::storage
