// RedisClient against a real, private redis-server.
#include "storage/redis_client.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/redis_error.h"
#include "storage/redis_sync_client.h"
#include "testing_util/redis_test.h"
#include "tests/integration/storage/scripts/domain_error_lua.h"
#include "tests/integration/storage/scripts/get_or_not_found_lua.h"
#include "tests/integration/storage/scripts/nested_reply_lua.h"
#include "integration/storage/storage_test_util.h"

namespace convene::storage {
namespace {

using ::convene::storage::testing::Eventually;
using ::convene::storage::testing::OptionsFor;

class RedisClientTest : public testing_util::RedisTest {
 protected:
  std::unique_ptr<RedisClient> StartClient(RedisClientOptions options) {
    absl::StatusOr<std::unique_ptr<RedisClient>> client =
        RedisClient::Start(std::move(options));
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? *std::move(client) : nullptr;
  }
  std::unique_ptr<RedisClient> StartClient() {
    return StartClient(OptionsFor(redis_address()));
  }
};

// Collects one async outcome; waits with a bound so a bug fails, not hangs.
template <typename T>
class Outcome {
 public:
  auto Callback() {
    return [this](T value) {
      absl::MutexLock lock(&mu_);
      ++calls_;
      value_ = std::move(value);
    };
  }
  T Wait(absl::Duration timeout = absl::Seconds(20)) {
    absl::MutexLock lock(&mu_);
    auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return value_.has_value();
    };
    EXPECT_TRUE(mu_.AwaitWithTimeout(absl::Condition(&ready), timeout))
        << "no callback within " << timeout;
    if (!value_.has_value()) return T(absl::InternalError("no callback"));
    return *value_;
  }
  int calls() {
    absl::MutexLock lock(&mu_);
    return calls_;
  }

 private:
  absl::Mutex mu_;
  std::optional<T> value_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
};

using ReplyOutcome = Outcome<absl::StatusOr<RedisReply>>;

TEST_F(RedisClientTest, CopiesRepliesOfEveryType) {
  auto client = StartClient();
  RedisSyncClient redis(*client);

  absl::StatusOr<RedisReply> set = redis.Command({"SET", "k", "v"});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(*set, RedisReply::Status("OK"));

  EXPECT_EQ(redis.Command({"GET", "missing"}).value(), RedisReply::Nil());
  EXPECT_EQ(redis.Command({"INCRBY", "n", "41"}).value(),
            RedisReply::Integer(41));
  EXPECT_EQ(redis.Command({"GET", "n"})->as_integer().value(), 41);

  std::string binary("a\0b\r\n\xff", 6);
  ASSERT_TRUE(redis.Command({"SET", "bin", binary}).ok());
  EXPECT_EQ(redis.Command({"GET", "bin"}).value(), RedisReply::String(binary));

  ASSERT_TRUE(redis.Command({"RPUSH", "list", "x", "y"}).ok());
  EXPECT_EQ(redis.Command({"LRANGE", "list", "0", "-1"}).value(),
            RedisReply::Array({RedisReply::String("x"), RedisReply::String("y")}));
  EXPECT_EQ(redis.Command({"LRANGE", "nothing", "0", "-1"}).value(),
            RedisReply::Array({}));

  absl::StatusOr<RedisReply> nested =
      redis.Eval(test_scripts::NestedReply(), {}, {});
  ASSERT_TRUE(nested.ok()) << nested.status();
  EXPECT_EQ(*nested,
            RedisReply::Array(
                {RedisReply::Integer(1), RedisReply::String("two"),
                 RedisReply::Array({RedisReply::Integer(3),
                                    RedisReply::String("four"),
                                    RedisReply::Nil()}),
                 RedisReply::Status("FINE")}));
}

TEST_F(RedisClientTest, MapsErrorRepliesToStatusesNamingTheCommand) {
  auto client = StartClient();
  RedisSyncClient redis(*client);
  ASSERT_TRUE(redis.Command({"SET", "k", "v"}).ok());
  absl::StatusOr<RedisReply> wrong = redis.Command({"LPUSH", "k", "x"});
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(wrong.status().message(), "LPUSH"));
  EXPECT_TRUE(absl::StrContains(wrong.status().message(), "WRONGTYPE"));

  EXPECT_EQ(redis.Command({"NOSUCHCOMMAND"}).status().code(),
            absl::StatusCode::kInternal);
  EXPECT_EQ(redis.Command({}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(RedisClientTest, CompletesTenThousandCallsFromSeveralThreads) {
  // Generous timeout: this checks correctness under concurrency, not speed.
  auto client = StartClient(OptionsFor(redis_address(), absl::Seconds(60)));
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2500;
  constexpr int kTotal = kThreads * kPerThread;
  std::atomic<int> remaining{kTotal};
  std::atomic<int> wrong{0};
  absl::Notification all_done;
  auto finish_one = [&] {
    if (remaining.fetch_sub(1) == 1) all_done.Notify();
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string expected = absl::StrCat("thread-", t, "-call-", i);
        if (i % 2 == 0) {
          client->Command({"ECHO", expected},
                          [&, expected](absl::StatusOr<RedisReply> reply) {
                            if (!reply.ok() || reply->text() != expected) {
                              wrong.fetch_add(1);
                            }
                            finish_one();
                          });
        } else {
          client->Command({"INCR", "shared-counter"},
                          [&](absl::StatusOr<RedisReply> reply) {
                            if (!reply.ok() || !reply->is_integer()) {
                              wrong.fetch_add(1);
                            }
                            finish_one();
                          });
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(absl::Seconds(60)))
      << remaining.load() << " calls never completed";
  EXPECT_EQ(wrong.load(), 0);
  RedisSyncClient redis(*client);
  EXPECT_EQ(redis.Command({"GET", "shared-counter"})->as_integer().value(),
            kTotal / 2);
}

TEST_F(RedisClientTest, RunsScriptsWithEvalshaAndReloadsThemAfterScriptFlush) {
  auto client = StartClient();
  RedisSyncClient redis(*client);
  const LuaScript& script = test_scripts::GetOrNotFound();
  ASSERT_TRUE(redis.Command({"SET", "seat", "taken"}).ok());

  // SetUp flushed the script cache: this goes through NOSCRIPT + SCRIPT LOAD.
  EXPECT_EQ(redis.Eval(script, {"seat"}, {}).value(),
            RedisReply::String("taken"));
  EXPECT_EQ(redis.Command({"SCRIPT", "EXISTS", script.sha1()}).value(),
            RedisReply::Array({RedisReply::Integer(1)}));
  // Loaded: plain EVALSHA.
  EXPECT_EQ(redis.Eval(script, {"seat"}, {}).value(),
            RedisReply::String("taken"));

  ASSERT_TRUE(redis_server().Run({"SCRIPT", "FLUSH"}).ok());
  EXPECT_EQ(redis.Eval(script, {"seat"}, {}).value(),
            RedisReply::String("taken"));
}

TEST_F(RedisClientTest, CallsFunctionsAndLoadsTheirLibraryWhenRedisHasNone) {
  auto client = StartClient();
  RedisSyncClient redis(*client);
  // What convene_embed_lua makes of a script with a PRELUDE.
  const LuaScript function("get_or_zero", R"lua(#!lua name=cv_test_lib_1
local function get(key) return redis.call('GET', key) or '0' end
redis.register_function{ function_name = 'cv_test_get_1', flags = { 'no-writes' },
  callback = function(KEYS, ARGV) return get(KEYS[1]) end }
)lua",
                           "cv_test_get_1");
  ASSERT_TRUE(redis.Command({"SET", "seat", "taken"}).ok());
  ASSERT_TRUE(redis_server().Run({"FUNCTION", "FLUSH"}).ok());
  // Not loaded: "Function not found", FUNCTION LOAD and FCALL again.
  EXPECT_EQ(redis.Eval(function, {"seat"}, {}).value(), RedisReply::String("taken"));
  EXPECT_EQ(redis.Eval(function, {"empty"}, {}).value(), RedisReply::String("0"));
  // Lost again (a restarted Redis without persistence): loaded again.
  ASSERT_TRUE(redis_server().Run({"FUNCTION", "FLUSH"}).ok());
  EXPECT_EQ(redis.Eval(function, {"seat"}, {}).value(), RedisReply::String("taken"));
  // Loaded by another process first: a plain FCALL.
  ASSERT_TRUE(redis_server().Run({"FUNCTION", "FLUSH"}).ok());
  ASSERT_TRUE(redis.Command({"FUNCTION", "LOAD", function.source()}).ok());
  EXPECT_EQ(redis.Eval(function, {"seat"}, {}).value(), RedisReply::String("taken"));
}

TEST_F(RedisClientTest, MapsConveneDomainErrorsFromScripts) {
  auto client = StartClient();
  RedisSyncClient redis(*client);

  absl::StatusOr<RedisReply> missing =
      redis.Eval(test_scripts::GetOrNotFound(), {"event:42"}, {});
  EXPECT_EQ(missing.status(), absl::NotFoundError("event:42 not found"));

  struct Case {
    const char* code;
    absl::StatusCode expected;
  };
  for (const Case& c : {Case{"NOT_FOUND", absl::StatusCode::kNotFound},
                        Case{"ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
                        Case{"FAILED_PRECONDITION",
                             absl::StatusCode::kFailedPrecondition},
                        Case{"ABORTED", absl::StatusCode::kAborted},
                        Case{"INVALID_ARGUMENT",
                             absl::StatusCode::kInvalidArgument},
                        Case{"RESOURCE_EXHAUSTED",
                             absl::StatusCode::kResourceExhausted},
                        Case{"OUT_OF_RANGE", absl::StatusCode::kOutOfRange},
                        Case{"TEAPOT", absl::StatusCode::kInternal}}) {
    absl::StatusOr<RedisReply> reply = redis.Eval(
        test_scripts::DomainError(), {}, {c.code, "workshop 7 is full"});
    EXPECT_EQ(reply.status().code(), c.expected) << c.code;
    if (c.expected != absl::StatusCode::kInternal) {
      EXPECT_EQ(reply.status().message(), "workshop 7 is full");
    }
  }
}

TEST_F(RedisClientTest, MapsScriptRuntimeErrorsToInternal) {
  auto client = StartClient();
  RedisSyncClient redis(*client);
  LuaScript broken("broken", "return redis.call('LPUSH', KEYS[1], 'x')");
  ASSERT_TRUE(redis.Command({"SET", "k", "v"}).ok());
  absl::StatusOr<RedisReply> reply = redis.Eval(broken, {"k"}, {});
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kInternal);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "script broken"))
      << reply.status();
}

TEST_F(RedisClientTest, PipelinesReturnOneResultPerCommandInOrder) {
  auto client = StartClient();
  RedisSyncClient redis(*client);
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> results =
      redis.Pipeline({{"SET", "a", "1"},
                      {"INCR", "a"},
                      {"GET", "a"},
                      {"LPUSH", "a", "x"},
                      {"GET", "missing"}});
  ASSERT_TRUE(results.ok()) << results.status();
  ASSERT_EQ(results->size(), 5u);
  EXPECT_EQ((*results)[0].value(), RedisReply::Status("OK"));
  EXPECT_EQ((*results)[1].value(), RedisReply::Integer(2));
  EXPECT_EQ((*results)[2].value(), RedisReply::String("2"));
  EXPECT_EQ((*results)[3].status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ((*results)[4].value(), RedisReply::Nil());

  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> empty =
      redis.Pipeline({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST_F(RedisClientTest, RunsMultiExecAsAPipeline) {
  auto client = StartClient();
  RedisSyncClient redis(*client);
  // One hash tag: a transaction stays in one slot, as Redis Cluster requires.
  ASSERT_TRUE(redis.Command({"SET", "{t}s", "v"}).ok());
  auto results = redis.Pipeline(
      {{"MULTI"}, {"INCR", "{t}n"}, {"LPUSH", "{t}s", "x"}, {"INCR", "{t}n"}, {"EXEC"}});
  ASSERT_TRUE(results.ok()) << results.status();
  const RedisReply& exec = (*results)[4].value();
  ASSERT_EQ(exec.elements().size(), 3u);
  EXPECT_EQ(exec.elements()[0], RedisReply::Integer(1));
  EXPECT_TRUE(exec.elements()[1].is_error());  // WRONGTYPE, as a value
  EXPECT_EQ(exec.elements()[2], RedisReply::Integer(2));
}

TEST_F(RedisClientTest, CallsMadeRightAfterStartWaitForTheFirstConnection) {
  auto client = StartClient();
  ReplyOutcome outcome;
  client->Command({"PING"}, outcome.Callback());
  EXPECT_EQ(outcome.Wait().value(), RedisReply::Status("PONG"));
  EXPECT_TRUE(client->connected());
}

TEST_F(RedisClientTest, StartFailsOnlyForBadOptions) {
  // A Sentinel address starts (and keeps asking the Sentinels) like any
  // other: nobody answers on this port, so calls fail as retryable.
  RedisClientOptions sentinel;
  sentinel.address = RedisAddress::Parse("redis-sentinel://127.0.0.1:1/m").value();
  absl::StatusOr<std::unique_ptr<RedisClient>> discovering = RedisClient::Start(sentinel);
  ASSERT_TRUE(discovering.ok()) << discovering.status();
  ReplyOutcome outcome;
  (*discovering)->Command({"PING"}, absl::Now() + absl::Seconds(3), outcome.Callback());
  EXPECT_EQ(outcome.Wait().status().code(), absl::StatusCode::kUnavailable);

  RedisClientOptions negative = OptionsFor(redis_address());
  negative.command_timeout = absl::Seconds(-1);
  EXPECT_EQ(RedisClient::Start(negative).status().code(),
            absl::StatusCode::kInvalidArgument);

  RedisClientOptions backwards = OptionsFor(redis_address());
  backwards.min_backoff = absl::Seconds(3);
  EXPECT_EQ(RedisClient::Start(backwards).status().code(),
            absl::StatusCode::kInvalidArgument);

  // Nobody listens there: Start succeeds, calls fail fast.
  std::string nowhere =
      absl::StrCat("unix://", redis_server().dir(), "/nobody-here.sock");
  auto client = StartClient(OptionsFor(nowhere));
  ASSERT_NE(client, nullptr);
  RedisSyncClient redis(*client);
  absl::Time start = absl::Now();
  absl::StatusOr<RedisReply> reply = redis.Command({"PING"}, absl::Seconds(3));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), nowhere))
      << reply.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_FALSE(client->connected());
}

TEST_F(RedisClientTest, FailsFastWhileRedisIsDownAndReconnectsAfterRestart) {
  std::atomic<int> ups{0};
  std::atomic<int> downs{0};
  RedisClientOptions options = OptionsFor(redis_address());
  options.on_connection_change = [&](bool connected) {
    (connected ? ups : downs).fetch_add(1);
  };
  auto client = StartClient(options);
  RedisSyncClient redis(*client);
  ASSERT_TRUE(redis.Command({"PING"}).ok());
  EXPECT_EQ(ups.load(), 1);

  ASSERT_TRUE(redis_server().Kill(SIGKILL).ok());
  for (int i = 0; i < 3; ++i) {
    absl::Time start = absl::Now();
    absl::StatusOr<RedisReply> reply =
        redis.Command({"PING"}, absl::Seconds(3));
    EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable)
        << reply.status();
    EXPECT_LT(absl::Now() - start, absl::Seconds(3)) << "waited to the deadline";
  }
  EXPECT_TRUE(Eventually([&] { return !client->connected(); }));
  EXPECT_EQ(downs.load(), 1);

  ASSERT_TRUE(redis_server().Restart().ok());
  EXPECT_TRUE(Eventually([&] { return redis.Command({"PING"}).ok(); }))
      << "never reconnected";
  EXPECT_TRUE(client->connected());
  EXPECT_EQ(ups.load(), 2);
  // A script cached before the restart is gone from Redis: reloaded.
  EXPECT_TRUE(redis.Eval(test_scripts::NestedReply(), {}, {}).ok());
}

TEST_F(RedisClientTest, FailsCallsInFlightWhenTheServerHangs) {
  auto client =
      StartClient(OptionsFor(redis_address(), absl::Milliseconds(500)));
  RedisSyncClient redis(*client);
  ASSERT_TRUE(redis.Command({"PING"}).ok());

  ASSERT_TRUE(redis_server().Pause().ok());
  absl::Cleanup resume = [&] { redis_server().Resume().IgnoreError(); };
  ReplyOutcome first;
  ReplyOutcome second;
  absl::Time start = absl::Now();
  client->Command({"PING"}, first.Callback());
  client->Command({"SET", "k", "v"}, absl::Now() + absl::Seconds(30),
                  second.Callback());
  // The first call hits its own deadline; the connection is then declared
  // hung (no reply for command_timeout), which fails the second one too
  // although its own deadline is far away.
  EXPECT_EQ(first.Wait().status().code(), absl::StatusCode::kUnavailable);
  absl::StatusOr<RedisReply> hung = second.Wait();
  EXPECT_EQ(hung.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));

  std::move(resume).Invoke();
  EXPECT_TRUE(Eventually([&] { return redis.Command({"PING"}).ok(); }));
  EXPECT_EQ(first.calls(), 1);
  EXPECT_EQ(second.calls(), 1);
}

TEST_F(RedisClientTest, DropsALateReplyAfterTheCallsDeadline) {
  auto client = StartClient(OptionsFor(redis_address(), absl::Seconds(10)));
  // BLPOP with a timeout answers nil after 0.5 s: a slow reply on a healthy
  // connection, well within command_timeout.
  ReplyOutcome slow;
  client->Command({"BLPOP", "nothing", "0.5"},
                  absl::Now() + absl::Milliseconds(50), slow.Callback());
  EXPECT_EQ(slow.Wait().status().code(), absl::StatusCode::kUnavailable);

  // Replies are matched in order: PING gets PONG (not BLPOP's nil), and it
  // arrives after BLPOP's late reply, which must not complete anything.
  ReplyOutcome ping;
  client->Command({"PING"}, ping.Callback());
  EXPECT_EQ(ping.Wait().value(), RedisReply::Status("PONG"));
  EXPECT_EQ(slow.calls(), 1);
  EXPECT_TRUE(client->connected());
}

TEST_F(RedisClientTest, ShutdownCancelsPendingCallsAndRefusesNewOnes) {
  auto client = StartClient(OptionsFor(redis_address(), absl::Seconds(30)));
  ASSERT_TRUE(RedisSyncClient(*client).Command({"PING"}).ok());
  ASSERT_TRUE(redis_server().Pause().ok());
  absl::Cleanup resume = [&] { redis_server().Resume().IgnoreError(); };

  ReplyOutcome pending;
  client->Command({"PING"}, pending.Callback());
  client->Shutdown();
  EXPECT_EQ(pending.Wait().status().code(), absl::StatusCode::kCancelled);

  ReplyOutcome late;
  client->Command({"PING"}, late.Callback());
  EXPECT_EQ(late.Wait().status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(client->connected());
}

TEST_F(RedisClientTest, SyncCallsFromACallbackAreRefusedNotDeadlocked) {
  auto client = StartClient();
  RedisSyncClient redis(*client);
  ReplyOutcome nested;
  client->Command({"PING"}, [&](absl::StatusOr<RedisReply>) {
    nested.Callback()(redis.Command({"PING"}));
  });
  EXPECT_EQ(nested.Wait().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_F(RedisClientTest, CallbacksMayIssueFurtherCalls) {
  auto client = StartClient();
  ReplyOutcome second;
  client->Command({"SET", "k", "1"}, [&](absl::StatusOr<RedisReply> first) {
    ASSERT_TRUE(first.ok());
    client->Command({"INCR", "k"}, second.Callback());
  });
  EXPECT_EQ(second.Wait().value(), RedisReply::Integer(2));
}

class RedisAuthTest : public RedisClientTest {
 public:
  static void SetUpTestSuite() {
    StartServer({.extra_args = {"--requirepass", "s3cret"}});
  }
};

TEST_F(RedisAuthTest, AuthenticatesEveryConnection) {
  RedisClientOptions options = OptionsFor(redis_address());
  options.password = "s3cret";
  auto client = StartClient(options);
  RedisSyncClient redis(*client);
  EXPECT_EQ(redis.Command({"PING"}).value(), RedisReply::Status("PONG"));
}

TEST_F(RedisAuthTest, ReportsAWrongPasswordAsUnavailableWithoutEchoingIt) {
  RedisClientOptions options = OptionsFor(redis_address());
  options.password = "wrong-password";
  auto client = StartClient(options);
  RedisSyncClient redis(*client);
  absl::StatusOr<RedisReply> reply = redis.Command({"PING"}, absl::Seconds(3));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "AUTH"))
      << reply.status();
  EXPECT_FALSE(absl::StrContains(reply.status().message(), "wrong-password"));
}

}  // namespace
}  // namespace convene::storage
