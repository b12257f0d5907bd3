// RedisSyncClient: blocking calls over RedisClient, for tools, tests and
// start-up code. Never for gRPC handlers or RedisClient callbacks.
//
// Every call returns by its timeout (the client's command_timeout unless
// given): with the result, or UNAVAILABLE. Calling it from the wrapped
// client's own callback thread is refused with FAILED_PRECONDITION instead of
// deadlocking.
//
// Example:
//   absl::StatusOr<std::unique_ptr<RedisSyncClient>> redis =
//       RedisSyncClient::Start(options);
//   absl::StatusOr<RedisReply> pong = (*redis)->Command({"PING"});
#ifndef CONVENE_STORAGE_REDIS_SYNC_CLIENT_H_
#define CONVENE_STORAGE_REDIS_SYNC_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/lua_script.h"
#include "storage/redis_client.h"
#include "storage/redis_client_options.h"
#include "storage/redis_reply.h"

namespace convene::storage {

class RedisSyncClient {
 public:
  // Starts and owns a RedisClient (same errors as RedisClient::Start).
  static absl::StatusOr<std::unique_ptr<RedisSyncClient>> Start(
      RedisClientOptions options);

  // Wraps `client`, which must outlive this object.
  explicit RedisSyncClient(RedisClient& client);

  // RedisClient::Command, waiting for the outcome for at most `timeout`
  // (default: the client's command_timeout).
  absl::StatusOr<RedisReply> Command(
      std::vector<std::string> argv,
      std::optional<absl::Duration> timeout = std::nullopt);

  // RedisClient::Eval, waiting at most `timeout`.
  absl::StatusOr<RedisReply> Eval(
      const LuaScript& script, std::vector<std::string> keys,
      std::vector<std::string> args,
      std::optional<absl::Duration> timeout = std::nullopt);

  // RedisClient::Pipeline, waiting at most `timeout`.
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> Pipeline(
      std::vector<std::vector<std::string>> commands,
      std::optional<absl::Duration> timeout = std::nullopt);

  // The wrapped asynchronous client.
  RedisClient& async() { return *client_; }

 private:
  explicit RedisSyncClient(std::unique_ptr<RedisClient> owned);

  std::unique_ptr<RedisClient> owned_;
  RedisClient* client_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REDIS_SYNC_CLIENT_H_
