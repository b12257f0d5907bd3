// RedisSubscriber against a real, private redis-server.
#include "storage/redis_subscriber.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/redis_sync_client.h"
#include "testing_util/redis_test.h"
#include "integration/storage/storage_test_util.h"

namespace convene::storage {
namespace {

using ::convene::storage::testing::Eventually;
using ::convene::storage::testing::OptionsFor;

// Records what a subscriber delivers.
class Inbox {
 public:
  RedisSubscriber::MessageCallback Callback() {
    return [this](RedisMessage message) {
      absl::MutexLock lock(&mu_);
      messages_.push_back(std::move(message));
    };
  }
  std::vector<RedisMessage> messages() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  bool Has(const std::string& payload) {
    absl::MutexLock lock(&mu_);
    for (const RedisMessage& m : messages_) {
      if (m.payload == payload) return true;
    }
    return false;
  }

 private:
  absl::Mutex mu_;
  std::vector<RedisMessage> messages_ ABSL_GUARDED_BY(mu_);
};

absl::Status WaitFor(RedisSubscriber& subscriber, bool pattern,
                     std::vector<std::string> names) {
  absl::Mutex mu;
  std::optional<absl::Status> result;
  auto done = [&](absl::Status s) {
    absl::MutexLock lock(&mu);
    result = s;
  };
  if (pattern) {
    subscriber.PSubscribe(std::move(names), done);
  } else {
    subscriber.Subscribe(std::move(names), done);
  }
  absl::MutexLock lock(&mu);
  auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    return result.has_value();
  };
  if (!mu.AwaitWithTimeout(absl::Condition(&ready), absl::Seconds(15))) {
    return absl::DeadlineExceededError("no subscribe confirmation");
  }
  return *result;
}

class RedisSubscriberTest : public testing_util::RedisTest {
 protected:
  void SetUp() override {
    RedisTest::SetUp();
    auto publisher = RedisSyncClient::Start(OptionsFor(redis_address()));
    ASSERT_TRUE(publisher.ok()) << publisher.status();
    publisher_ = *std::move(publisher);
  }

  // PUBLISH's reply: how many subscribers received it.
  int64_t Publish(const std::string& channel, const std::string& payload) {
    absl::StatusOr<RedisReply> n = publisher_->Command({"PUBLISH", channel, payload});
    return n.ok() ? n->as_integer().value_or(-1) : -1;
  }

  std::unique_ptr<RedisSyncClient> publisher_;
};

TEST_F(RedisSubscriberTest, DeliversMessagesOnChannelsAndPatterns) {
  Inbox inbox;
  auto subscriber =
      RedisSubscriber::Start(OptionsFor(redis_address()), inbox.Callback());
  ASSERT_TRUE(subscriber.ok()) << subscriber.status();
  ASSERT_TRUE(WaitFor(**subscriber, false, {"counts:event:1", "other"}).ok());
  ASSERT_TRUE(WaitFor(**subscriber, true, {"live:*"}).ok());
  EXPECT_TRUE((*subscriber)->connected());

  EXPECT_EQ(Publish("counts:event:1", "17"), 1);
  EXPECT_EQ(Publish("live:room-3", "on"), 1);
  EXPECT_EQ(Publish("unrelated", "x"), 0);
  ASSERT_TRUE(Eventually([&] { return inbox.messages().size() == 2; }));
  std::vector<RedisMessage> got = inbox.messages();
  EXPECT_EQ(got[0].channel, "counts:event:1");
  EXPECT_EQ(got[0].pattern, "");
  EXPECT_EQ(got[0].payload, "17");
  EXPECT_EQ(got[1].channel, "live:room-3");
  EXPECT_EQ(got[1].pattern, "live:*");
  EXPECT_EQ(got[1].payload, "on");
}

TEST_F(RedisSubscriberTest, StopsDeliveringAfterUnsubscribe) {
  Inbox inbox;
  auto subscriber =
      RedisSubscriber::Start(OptionsFor(redis_address()), inbox.Callback());
  ASSERT_TRUE(subscriber.ok());
  ASSERT_TRUE(WaitFor(**subscriber, false, {"a", "b"}).ok());
  (*subscriber)->Unsubscribe({"a"});
  // Probes may still be delivered until the server has processed UNSUBSCRIBE.
  EXPECT_TRUE(Eventually([&] { return Publish("a", "probe") == 0; }));
  EXPECT_EQ(Publish("a", "x"), 0);
  EXPECT_EQ(Publish("b", "still-here"), 1);
  EXPECT_TRUE(Eventually([&] { return inbox.Has("still-here"); }));
  EXPECT_FALSE(inbox.Has("x"));
}

TEST_F(RedisSubscriberTest, ResubscribesAfterTheServerRestarts) {
  Inbox inbox;
  auto subscriber =
      RedisSubscriber::Start(OptionsFor(redis_address()), inbox.Callback());
  ASSERT_TRUE(subscriber.ok());
  ASSERT_TRUE(WaitFor(**subscriber, false, {"counts"}).ok());
  ASSERT_TRUE(WaitFor(**subscriber, true, {"p:*"}).ok());

  ASSERT_TRUE(redis_server().Kill(SIGKILL).ok());
  EXPECT_TRUE(Eventually([&] { return !(*subscriber)->connected(); }));
  ASSERT_TRUE(redis_server().Restart().ok());

  // PUBLISH counts receivers: poll until the subscriber is back.
  EXPECT_TRUE(Eventually([&] { return Publish("counts", "after") == 1; }));
  EXPECT_TRUE(Eventually([&] { return Publish("p:1", "pattern-after") == 1; }));
  EXPECT_TRUE(Eventually([&] { return inbox.Has("after"); }));
  EXPECT_TRUE(Eventually([&] { return inbox.Has("pattern-after"); }));
  EXPECT_TRUE((*subscriber)->connected());
}

// Messages published while the connection is down are lost: the subscriber
// says when that may have happened (false), and when every subscription is
// active again (true), so that state built from messages is read afresh.
TEST_F(RedisSubscriberTest, SaysWhenItStopsAndStartsListening) {
  Inbox inbox;
  absl::Mutex mu;
  std::vector<bool> heard;
  auto subscriber = RedisSubscriber::Start(
      OptionsFor(redis_address()), inbox.Callback(), [&](bool listening) {
        absl::MutexLock lock(&mu);
        heard.push_back(listening);
      });
  ASSERT_TRUE(subscriber.ok());
  auto got = [&] {
    absl::MutexLock lock(&mu);
    return heard;
  };
  ASSERT_TRUE(WaitFor(**subscriber, false, {"counts"}).ok());
  ASSERT_TRUE(WaitFor(**subscriber, true, {"p:*"}).ok());
  // Told once both are active; a second name does not repeat it.
  EXPECT_TRUE(Eventually([&] { return !got().empty(); }));
  EXPECT_EQ(got(), std::vector<bool>({true}));

  ASSERT_TRUE(redis_server().Kill(SIGKILL).ok());
  EXPECT_TRUE(Eventually([&] { return got().size() == 2; }));
  ASSERT_TRUE(redis_server().Restart().ok());
  EXPECT_TRUE(Eventually([&] { return got().size() == 3; }));
  EXPECT_EQ(got(), std::vector<bool>({true, false, true}));
  // Back on both by then: a message published now reaches it. The test's
  // own publisher reconnects on its own schedule: -1 (its connection still
  // down) is tried again; 0 (no subscriber) is not.
  int64_t receivers = -1;
  EXPECT_TRUE(Eventually([&] { return (receivers = Publish("p:2", "back")) != -1; }));
  EXPECT_EQ(receivers, 1);
  EXPECT_TRUE(Eventually([&] { return inbox.Has("back"); }));
}

TEST_F(RedisSubscriberTest, ReportsUnavailableWhileDownButKeepsTheSubscription) {
  Inbox inbox;
  std::string nowhere =
      absl::StrCat("unix://", redis_server().dir(), "/nobody-here.sock");
  auto subscriber = RedisSubscriber::Start(OptionsFor(nowhere), inbox.Callback());
  ASSERT_TRUE(subscriber.ok());
  EXPECT_EQ(WaitFor(**subscriber, false, {"c"}).code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(RedisSubscriberTest, ShutdownCancelsWaitingSubscriptions) {
  Inbox inbox;
  auto subscriber =
      RedisSubscriber::Start(OptionsFor(redis_address()), inbox.Callback());
  ASSERT_TRUE(subscriber.ok());
  (*subscriber)->Shutdown();
  EXPECT_EQ(WaitFor(**subscriber, false, {"c"}).code(),
            absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace convene::storage
