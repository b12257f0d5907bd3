// RedisClientOptions: how RedisClient and RedisSubscriber reach Redis and how
// long they wait for it.
//
// Example:
//   RedisClientOptions options;
//   options.address = *RedisAddress::Parse("unix:///run/redis/redis.sock");
//   options.command_timeout = absl::Seconds(1);
//   auto client = RedisClient::Start(options);
#ifndef CONVENE_STORAGE_REDIS_CLIENT_OPTIONS_H_
#define CONVENE_STORAGE_REDIS_CLIENT_OPTIONS_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "storage/redis_address.h"

namespace convene::storage {

struct RedisClientOptions {
  // Where the server is; with a Sentinel address, every (re)connection asks
  // the Sentinels for the primary, and a READONLY reply (the server was
  // demoted) makes the client reconnect.
  RedisAddress address;

  // When > 0, every script (every write Convene makes) is followed by
  // WAIT wait_replicas wait_timeout: its caller sees success only once the
  // write is on that many replicas, so a failover to one of them keeps it.
  // A write that does not get there in time returns UNAVAILABLE (it may or
  // may not have survived; request ids make the retry safe).
  int wait_replicas = 0;
  absl::Duration wait_timeout = absl::Milliseconds(500);

  // Longest time for one connection attempt: connect, AUTH (if configured)
  // and a PING that proves the server answers.
  absl::Duration connect_timeout = absl::Seconds(1);
  // Default per-call deadline, and how long a connection with calls in flight
  // may stay silent before it is declared hung, torn down and re-made.
  absl::Duration command_timeout = absl::Seconds(2);
  // Reconnect delays grow from min_backoff to max_backoff (doubling, with
  // random jitter) while Redis stays unreachable.
  absl::Duration min_backoff = absl::Milliseconds(50);
  absl::Duration max_backoff = absl::Seconds(2);

  // If password is set, every new connection sends AUTH [username] password
  // before anything else. (A later issue reads these from a file or env.)
  std::string username;
  std::string password;

  // Called on the client's loop thread whenever the connection becomes usable
  // (true) or stops being usable (false). Must be quick and must not block.
  std::function<void(bool connected)> on_connection_change;
};

// OK if the options can be used; INVALID_ARGUMENT naming the bad field
// otherwise; UNIMPLEMENTED for a Sentinel address.
absl::Status ValidateRedisClientOptions(const RedisClientOptions& options);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REDIS_CLIENT_OPTIONS_H_
