// RedisSubscriber: a dedicated pub/sub connection (SUBSCRIBE / PSUBSCRIBE)
// that delivers messages to one callback and restores every subscription
// after a reconnect.
//
// A subscribed connection cannot run other commands, so publish through a
// RedisClient. The same goes for other blocking reads (XREAD BLOCK, BLPOP):
// they never run on the shared pipelined RedisClient connection; give them a
// RedisClient instance of their own.
//
// Delivery is at-most-once, as Redis pub/sub is: messages published while the
// connection is down are lost. A closed or reset connection is noticed at
// once; a server that hangs without closing it is noticed only through TCP
// keepalive (minutes), because hiredis 0.14 cannot PING a subscribed
// connection. Callbacks run on the subscriber's own loop
// thread, in order; they must be quick and must not block.
//
// Example:
//   auto subscriber = RedisSubscriber::Start(options, [](RedisMessage m) {
//     counts.Apply(m.channel, m.payload);
//   });
//   (*subscriber)->Subscribe({"convene:counts:event:42"},
//                            [](absl::Status s) { /* OK when active */ });
#ifndef CONVENE_STORAGE_REDIS_SUBSCRIBER_H_
#define CONVENE_STORAGE_REDIS_SUBSCRIBER_H_

#include <list>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/redis_client_options.h"

struct redisAsyncContext;

namespace convene::storage {

namespace internal {
class EventLoop;
class RedisConnection;
}  // namespace internal

// One published message.
struct RedisMessage {
  std::string channel;
  std::string pattern;  // the PSUBSCRIBE pattern that matched; empty if none
  std::string payload;
};

class RedisSubscriber {
 public:
  using MessageCallback = absl::AnyInvocable<void(RedisMessage)>;
  using DoneCallback = absl::AnyInvocable<void(absl::Status)>;
  // false: the connection dropped with every subscription active (what is
  // published from now on is lost); true: every subscription is active
  // again on a connection (the first time too). Since delivery is
  // at-most-once, a subscriber that derives state from messages re-reads
  // it on true.
  using ListeningCallback = absl::AnyInvocable<void(bool listening)>;

  // Validates `options` like RedisClient::Start and starts connecting; every
  // message on a subscribed channel or pattern goes to `on_message`, and
  // `on_listening` (optional) hears when messages may have been lost.
  static absl::StatusOr<std::unique_ptr<RedisSubscriber>> Start(
      RedisClientOptions options, MessageCallback on_message,
      ListeningCallback on_listening = {});

  // Shutdown().
  ~RedisSubscriber();

  RedisSubscriber(const RedisSubscriber&) = delete;
  RedisSubscriber& operator=(const RedisSubscriber&) = delete;

  // Adds channels (or glob patterns) to the subscription. They stay
  // subscribed across reconnects until removed. `done` (optional, on the
  // loop thread) gets OK once Redis confirmed all of them on the current
  // connection, or UNAVAILABLE if the connection is down or drops first
  // (they are subscribed again when it comes back).
  void Subscribe(std::vector<std::string> channels, DoneCallback done = {});
  void PSubscribe(std::vector<std::string> patterns, DoneCallback done = {});

  // Removes channels (or patterns); unknown names are ignored. Once the loop
  // thread has processed the call, no message for them is delivered.
  void Unsubscribe(std::vector<std::string> channels);
  void PUnsubscribe(std::vector<std::string> patterns);

  // Whether the connection is currently up.
  bool connected() const;

  // Stops the connection and joins the loop thread; pending `done`
  // callbacks get CANCELLED. Idempotent; not from a callback.
  void Shutdown();

 private:
  // Channels or patterns: the two kinds are handled alike.
  struct Kind {
    const char* subscribe;      // "SUBSCRIBE" / "PSUBSCRIBE"
    const char* unsubscribe;    // "UNSUBSCRIBE" / "PUNSUBSCRIBE"
    absl::flat_hash_set<std::string> wanted;     // across reconnects
    absl::flat_hash_set<std::string> confirmed;  // on this connection
  };
  struct Waiter {
    absl::flat_hash_set<std::string> channels;  // not confirmed yet
    absl::flat_hash_set<std::string> patterns;
    DoneCallback done;
  };

  RedisSubscriber(RedisClientOptions options, MessageCallback on_message,
                  ListeningCallback on_listening);

  // Runs `fn` on the loop thread unless shut down (then returns false).
  bool PostUnlessShutDown(absl::AnyInvocable<void() &&> fn);
  // Loop thread.
  void Add(bool pattern, std::vector<std::string> names, DoneCallback done);
  void Remove(bool pattern, std::vector<std::string> names);
  void ShutdownOnLoop();
  void SendSubscribe(const Kind& kind,
                     const std::vector<std::string>& names);
  void OnReady();
  void OnDown(const absl::Status& status);
  void OnConfirmed(bool pattern, const std::string& name);
  void FinishWaiters();
  static void OnPush(redisAsyncContext* ac, void* reply, void* privdata);

  const RedisClientOptions options_;
  MessageCallback on_message_;
  ListeningCallback on_listening_;

  absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;

  // Loop-thread state.
  std::unique_ptr<internal::EventLoop> loop_;
  std::unique_ptr<internal::RedisConnection> connection_;
  Kind channels_{"SUBSCRIBE", "UNSUBSCRIBE", {}, {}};
  Kind patterns_{"PSUBSCRIBE", "PUNSUBSCRIBE", {}, {}};
  std::list<Waiter> waiters_;
  // Every wanted name confirmed on the current connection (on_listening
  // told true and not false since).
  bool listening_ = false;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REDIS_SUBSCRIBER_H_
