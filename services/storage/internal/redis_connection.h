// RedisConnection: one hiredis async context at a time, (re)connected with
// a connect timeout, optional AUTH and jittered exponential backoff.
// Internal: RedisClient and RedisSubscriber each own one.
//
// Loop-thread only (except connected()). The owner sends commands on
// context() while state() == kReady and learns about transitions through
// Handlers. Reply callbacks registered on a context always run exactly once
// (hiredis calls them with a NULL reply when the context goes away); the
// owner asks FailureStatus() what to report then.
#ifndef CONVENE_STORAGE_INTERNAL_REDIS_CONNECTION_H_
#define CONVENE_STORAGE_INTERNAL_REDIS_CONNECTION_H_

#include <hiredis/async.h>

#include <atomic>
#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/backoff.h"
#include "storage/internal/event_loop.h"
#include "storage/redis_client_options.h"

namespace convene::storage::internal {

class RedisConnection {
 public:
  enum class State {
    kIdle,        // Start() not called yet
    kConnecting,  // connect + handshake (AUTH if configured, PING) under way
    kReady,       // context() usable
    kWaiting,     // down; the next attempt is scheduled
    kShutDown,    // Shutdown() called; never reconnects
  };

  struct Handlers {
    // The connection became usable.
    absl::AnyInvocable<void()> on_ready;
    // A connect attempt failed, or a usable connection went away (or was
    // closed); every reply callback of that context has already run.
    absl::AnyInvocable<void(const absl::Status&)> on_down;
  };

  // `owner` is what Owner(ac) returns inside static hiredis callbacks.
  RedisConnection(EventLoop& loop, RedisClientOptions options, void* owner,
                  Handlers handlers);
  // Shutdown() must have run on the loop thread first (if Start() did).
  ~RedisConnection();

  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Begins the first connection attempt.
  void Start();
  // Tears the current context down, failing its pending replies with
  // `reason`, and schedules a reconnect. Not from inside a hiredis callback.
  void Close(const absl::Status& reason);
  // Close()s for good.
  void Shutdown(const absl::Status& reason);

  // Close() from inside a hiredis callback: on the next loop turn, if the
  // connection is still usable then. For a Sentinel address, the reconnect
  // asks the Sentinels for the primary again.
  void CloseSoon(const absl::Status& reason);

  State state() const { return state_; }
  // The usable context, or null unless state() == kReady.
  redisAsyncContext* context() const {
    return state_ == State::kReady ? ac_ : nullptr;
  }
  // Thread-safe: state() == kReady as last seen by the loop thread.
  bool connected() const { return connected_.load(std::memory_order_relaxed); }

  // UNAVAILABLE("redis <address> is unavailable: <reason>").
  absl::Status Unavailable(absl::string_view reason) const;
  // What a command gets while not ready: the last failure's status.
  const absl::Status& last_failure() const { return last_failure_; }
  // What a reply callback called with a NULL reply on `ac` reports.
  absl::Status FailureStatus(const redisAsyncContext* ac) const;

  const RedisClientOptions& options() const { return options_; }
  const std::string& address_text() const { return address_text_; }

  // The `owner` given to the RedisConnection that made `ac`.
  static void* Owner(const redisAsyncContext* ac);

 private:
  void Connect();
  // The primary the Sentinels name (the newest configuration), blocking.
  absl::StatusOr<RedisAddress::HostPort> AskSentinels() const;
  // Sentinel mode, after connecting: the error that makes `role_reply` (the
  // server's ROLE) or the Sentinels' answer now refuse the server, or "".
  std::string CheckPrimary(const redisReply* role_reply) const;
  void BecomeReady();
  void Down(const absl::Status& status);
  static void OnConnect(const redisAsyncContext* ac, int status);
  static void OnDisconnect(const redisAsyncContext* ac, int status);
  static void OnAuthReply(redisAsyncContext* ac, void* reply, void* privdata);
  static void OnPingReply(redisAsyncContext* ac, void* reply, void* privdata);

  EventLoop& loop_;
  const RedisClientOptions options_;
  const std::string address_text_;
  void* const owner_;
  Handlers handlers_;

  State state_ = State::kIdle;
  redisAsyncContext* ac_ = nullptr;
  std::optional<absl::Status> closing_;  // set while Close() frees ac_
  absl::Status last_failure_;
  std::atomic<bool> connected_{false};
  bool shut_down_ = false;
  size_t seed_turn_ = 0;  // redis-cluster://: which seed the next attempt uses
  bool ever_ready_ = false;
  int failures_in_a_row_ = 0;
  core::Backoff backoff_;
  Timer connect_timer_;
  Timer backoff_timer_;
  Timer deferred_close_timer_;  // closes outside the hiredis callback
  absl::Status deferred_close_reason_;
  std::string handshake_error_;  // AUTH's error, reported after PING
  RedisAddress::HostPort sentinel_primary_;  // Sentinel mode: where Connect() went
};

}  // namespace convene::storage::internal

#endif  // CONVENE_STORAGE_INTERNAL_REDIS_CONNECTION_H_
