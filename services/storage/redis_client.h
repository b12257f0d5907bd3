// RedisClient: the asynchronous Redis client every Convene service uses.
//
// One connection, driven by the client's own event-loop thread (hiredis'
// async API on libevent). Calls can be made from any thread and never block:
// they queue the command and return; many calls are in flight at once on the
// one connection (pipelined). Every call completes its callback exactly once:
//
// * on the client's loop thread, so callbacks must be quick and must never
//   block (no waiting on other Redis calls, no RedisSyncClient, no
//   Shutdown()/destruction of this client); hand heavier work elsewhere;
// * with OK and the reply, or with a Status: see redis_error.h for how Redis
//   error replies map (including `CONVENE <CODE> ...` domain errors from Lua);
// * with UNAVAILABLE (retryable) at once while Redis is unreachable, when the
//   connection drops with the call in flight, or when no reply came by the
//   call's deadline (default now + command_timeout). A call that timed out
//   may still have run on the server: retry only what is safe to repeat.
// * with CANCELLED once Shutdown() has begun (inline, on the calling thread,
//   for calls made after it).
//
// Start() does not wait for Redis: it connects in the background and keeps
// reconnecting with backoff. Calls made while the first connection attempt is
// under way wait for it (bounded by their deadline). A connection that stays
// silent for command_timeout with calls in flight is declared hung, closed
// and re-made.
//
// Blocking commands (BLPOP, XREAD BLOCK, WAIT...) stall every call queued
// behind them on the shared connection: never send them on the shared
// client. Give them a RedisClient instance of their own, and a per-call
// deadline longer than the blocking time. Pub/sub needs RedisSubscriber.
//
// Example:
//   RedisClientOptions options;
//   options.address = *RedisAddress::Parse("redis://127.0.0.1:6379");
//   absl::StatusOr<std::unique_ptr<RedisClient>> client =
//       RedisClient::Start(std::move(options));
//   if (!client.ok()) return client.status();
//   (*client)->Command({"INCR", "convene:counter"},
//                      [](absl::StatusOr<RedisReply> reply) {
//                        if (reply.ok()) Use(*reply->as_integer());
//                      });
#ifndef CONVENE_STORAGE_REDIS_CLIENT_H_
#define CONVENE_STORAGE_REDIS_CLIENT_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "storage/lua_script.h"
#include "storage/redis_client_options.h"
#include "storage/redis_reply.h"

struct redisAsyncContext;

namespace convene::storage {

namespace internal {
class EventLoop;
class RedisConnection;
class Timer;
}  // namespace internal

class RedisClient {
 public:
  // Receives one command's outcome.
  using ReplyCallback = absl::AnyInvocable<void(absl::StatusOr<RedisReply>)>;
  // Receives a pipeline's outcome: see Pipeline().
  using PipelineCallback = absl::AnyInvocable<void(
      absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>>)>;

  // Validates `options` (INVALID_ARGUMENT, or UNIMPLEMENTED for Sentinel),
  // starts the loop thread and begins connecting. Succeeds even if Redis is
  // down.
  static absl::StatusOr<std::unique_ptr<RedisClient>> Start(
      RedisClientOptions options);

  // Shutdown().
  ~RedisClient();

  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // Sends one command, e.g. {"HSET", key, "field", value}. An empty argv is
  // INVALID_ARGUMENT. Without `deadline`: now + command_timeout. A deadline
  // beyond that also lets the connection stay silent that long while this
  // call is the oldest in flight (for a known-slow script), so use it with
  // care.
  void Command(std::vector<std::string> argv, ReplyCallback done);
  void Command(std::vector<std::string> argv, absl::Time deadline,
               ReplyCallback done);

  // Runs `script` with EVALSHA; if Redis does not know it (NOSCRIPT, e.g.
  // after a restart or SCRIPT FLUSH), loads it and retries once,
  // transparently. Domain errors map as in redis_error.h.
  void Eval(const LuaScript& script, std::vector<std::string> keys,
            std::vector<std::string> args, ReplyCallback done);
  void Eval(const LuaScript& script, std::vector<std::string> keys,
            std::vector<std::string> args, absl::Time deadline,
            ReplyCallback done);

  // Writes `commands` back to back (nothing else is interleaved, so a
  // MULTI ... EXEC pipeline is safe) and calls `done` once with one result
  // per command, in order; each error reply is mapped on its own. The outer
  // status is non-OK only if the pipeline as a whole failed (not connected,
  // connection lost, deadline passed, shut down): then any prefix of the
  // commands may have run.
  void Pipeline(std::vector<std::vector<std::string>> commands,
                PipelineCallback done);
  void Pipeline(std::vector<std::vector<std::string>> commands,
                absl::Time deadline, PipelineCallback done);

  // Whether the connection is currently usable (a hint: it can drop at once).
  bool connected() const;

  // The address as given in the options, e.g. "unix:///run/redis.sock".
  const std::string& address() const { return address_text_; }
  const RedisClientOptions& options() const { return options_; }

  // True when called from this client's loop thread (inside a callback).
  bool InLoopThread() const;

  // Stops accepting calls, fails every pending and in-flight call with
  // CANCELLED, closes the connection and joins the loop thread. Idempotent.
  // Must not be called from a callback of this client.
  void Shutdown();

 private:
  // Error replies stay values here; a non-OK status is a transport failure.
  using RawCallback =
      absl::AnyInvocable<void(absl::StatusOr<std::vector<RedisReply>>)>;

  // One call: its commands are written together and its callback runs once.
  struct Batch {
    std::vector<std::vector<std::string>> commands;
    size_t expected = 0;
    std::vector<RedisReply> replies;
    absl::Time deadline;
    RawCallback done;
  };
  // A command written to the connection and not answered yet, oldest first.
  struct InFlight {
    uint64_t batch_id;
    absl::Time sent;
    absl::Time deadline;
  };

  // A redis-cluster:// address: routes to per-node clients
  // (redis_cluster_router.h).
  class ClusterRouter;

  explicit RedisClient(RedisClientOptions options);

  // Any thread.
  void Submit(std::vector<std::vector<std::string>> commands,
              absl::Time deadline, RawCallback done);
  void EvalWithDeadline(const LuaScript& script, std::vector<std::string> keys,
                        std::vector<std::string> args, absl::Time deadline,
                        ReplyCallback done);

  // Loop thread.
  void Accept(Batch batch);
  void Send(uint64_t id);
  void Complete(uint64_t id, absl::StatusOr<std::vector<RedisReply>> result);
  void OnReady();
  void OnDown(const absl::Status& status);
  void OnTimer();
  void RearmTimer();
  void ShutdownOnLoop();
  static void OnReply(redisAsyncContext* ac, void* reply, void* privdata);

  const RedisClientOptions options_;
  const std::string address_text_;

  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;

  std::unique_ptr<ClusterRouter> cluster_;  // set for redis-cluster://, then
                                            // nothing below is used

  // Loop-thread state. Declared after loop_ and destroyed first.
  std::unique_ptr<internal::EventLoop> loop_;
  std::unique_ptr<internal::RedisConnection> connection_;
  std::unique_ptr<internal::Timer> timer_;  // deadlines and hang detection
  absl::Time timer_at_ = absl::InfiniteFuture();
  uint64_t next_id_ = 1;
  absl::flat_hash_map<uint64_t, Batch> batches_;
  absl::btree_set<std::pair<absl::Time, uint64_t>> deadlines_;
  std::deque<uint64_t> held_;  // waiting for the connection attempt
  std::deque<InFlight> in_flight_;
  absl::Time last_reply_at_ = absl::InfinitePast();
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REDIS_CLIENT_H_
