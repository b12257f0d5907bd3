// RedisClient on a redis-cluster:// address, against real Redis Clusters on
// loopback (three primaries, with and without replicas): routing by slot,
// scripts loaded on each primary, MOVED and ASK followed while a slot moves
// under load.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "integration/storage/storage_test_util.h"
#include "storage/cluster_slot.h"
#include "storage/redis_client.h"
#include "storage/redis_cluster_router.h"
#include "storage/redis_sync_client.h"
#include "testing_util/redis_cluster.h"
#include "tests/integration/storage/scripts/get_or_not_found_lua.h"

namespace convene::storage {
namespace {

using ::convene::storage::testing::OptionsFor;
using ::convene::testing_util::RedisCluster;

TEST(RedisClusterRouting, FindsTheKeyOfEachCommand) {
  EXPECT_EQ(RoutingKey({"HGET", "cv:{ev:1}:sheet", "days"}), "cv:{ev:1}:sheet");
  EXPECT_EQ(RoutingKey({"FCALL", "fn", "2", "{a}x", "{a}y", "arg"}), "{a}x");
  EXPECT_EQ(RoutingKey({"EVALSHA", "abc", "0", "arg"}), std::nullopt);
  EXPECT_EQ(RoutingKey({"XREAD", "COUNT", "10", "BLOCK", "5", "STREAMS", "s1", "0-0"}), "s1");
  EXPECT_EQ(RoutingKey({"XGROUP", "CREATE", "{n}:s", "g", "$", "MKSTREAM"}), "{n}:s");
  EXPECT_EQ(RoutingKey({"XINFO", "STREAM", "{n}:s"}), "{n}:s");
  EXPECT_EQ(RoutingKey({"INFO", "cpu"}), std::nullopt);
  EXPECT_EQ(RoutingKey({"PUBLISH", "channel", "x"}), std::nullopt);
  EXPECT_EQ(RoutingKey({"PING"}), std::nullopt);
}

TEST(RedisClusterRouting, ParsesRedirections) {
  std::optional<ClusterRedirect> moved = ParseRedirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved.has_value());
  EXPECT_FALSE(moved->ask);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->node.host, "127.0.0.1");
  EXPECT_EQ(moved->node.port, 6381);
  std::optional<ClusterRedirect> ask = ParseRedirect("ASK 12 [::1]:7000");
  ASSERT_TRUE(ask.has_value());
  EXPECT_TRUE(ask->ask);
  EXPECT_EQ(ask->node.host, "::1");
  EXPECT_FALSE(ParseRedirect("ERR wrong number of arguments").has_value());
  EXPECT_FALSE(ParseRedirect("MOVED 99999 127.0.0.1:1").has_value());
}

class RedisClusterClientTest : public ::testing::Test {
 protected:
  void StartCluster(int replicas) {
    absl::StatusOr<std::unique_ptr<RedisCluster>> cluster = RedisCluster::Start(3, replicas);
    ASSERT_TRUE(cluster.ok()) << cluster.status();
    cluster_ = *std::move(cluster);
    absl::StatusOr<std::unique_ptr<RedisClient>> client =
        RedisClient::Start(OptionsFor(cluster_->address(), absl::Seconds(5)));
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    sync_ = std::make_unique<RedisSyncClient>(*client_);
  }

  // The value of `key` read straight from the primary owning its slot.
  std::string ReadOnOwner(const std::string& key) {
    absl::StatusOr<int> owner = cluster_->OwnerOf(KeySlot(key));
    if (!owner.ok() || *owner < 0) return "(no owner)";
    absl::StatusOr<std::string> value = cluster_->nodes()[*owner].server->Run({"GET", key});
    return value.ok() ? *value : std::string(value.status().message());
  }

  std::unique_ptr<RedisCluster> cluster_;
  std::unique_ptr<RedisClient> client_;
  std::unique_ptr<RedisSyncClient> sync_;
};

TEST_F(RedisClusterClientTest, WritesEachKeyOnThePrimaryOwningItsSlot) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(/*replicas=*/1));
  std::map<int, int> keys_per_owner;
  for (int i = 0; i < 120; ++i) {
    const std::string key = absl::StrCat("cv:{ev:", i, "}:k");
    absl::StatusOr<RedisReply> set = sync_->Command({"SET", key, absl::StrCat("v", i)});
    ASSERT_TRUE(set.ok()) << set.status();
    EXPECT_EQ(ReadOnOwner(key), absl::StrCat("v", i)) << key;
    absl::StatusOr<RedisReply> get = sync_->Command({"GET", key});
    ASSERT_TRUE(get.ok()) << get.status();
    EXPECT_EQ(get->text(), absl::StrCat("v", i));
    ++keys_per_owner[*cluster_->OwnerOf(KeySlot(key))];
  }
  // The keys landed on all three primaries, not on one.
  EXPECT_EQ(keys_per_owner.size(), 3u);
  for (const auto& [owner, n] : keys_per_owner) EXPECT_LT(owner, 3) << "a replica owns a slot";
}

TEST_F(RedisClusterClientTest, LoadsScriptsOnEachPrimaryItRuns) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(/*replicas=*/0));
  for (int i = 0; i < 30; ++i) {
    const std::string key = absl::StrCat("{s", i, "}:value");
    ASSERT_TRUE(sync_->Command({"SET", key, absl::StrCat(i)}).ok());
    absl::StatusOr<RedisReply> got = sync_->Eval(test_scripts::GetOrNotFound(), {key}, {});
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->text(), absl::StrCat(i));
  }
  // A domain error still maps on every node.
  absl::StatusOr<RedisReply> missing =
      sync_->Eval(test_scripts::GetOrNotFound(), {"{nobody}:value"}, {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(RedisClusterClientTest, APipelineAcrossSlotsAnswersInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(/*replicas=*/0));
  std::vector<std::vector<std::string>> commands = {{"TIME"}};
  for (int i = 0; i < 30; ++i) {
    commands.push_back({"SET", absl::StrCat("{p", i, "}"), absl::StrCat("v", i)});
    commands.push_back({"GET", absl::StrCat("{p", i, "}")});
  }
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> replies = sync_->Pipeline(commands);
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), commands.size());
  ASSERT_TRUE((*replies)[0].ok()) << (*replies)[0].status();
  EXPECT_EQ((*replies)[0]->elements().size(), 2u);  // TIME's seconds and microseconds
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE((*replies)[2 * i + 2].ok()) << (*replies)[2 * i + 2].status();
    EXPECT_EQ((*replies)[2 * i + 2]->text(), absl::StrCat("v", i));
  }
}

TEST_F(RedisClusterClientTest, KeepsCountingWhileItsSlotMovesToAnotherPrimary) {
  ASSERT_NO_FATAL_FAILURE(StartCluster(/*replicas=*/0));
  // 40 counters in one slot, incremented by concurrent callers while the
  // slot migrates key by key (ASK for moved keys), then changes owner
  // (MOVED).
  const int slot = KeySlot("{moving}");
  constexpr int kKeys = 40;
  for (int k = 0; k < kKeys; ++k) {
    ASSERT_TRUE(sync_->Command({"SET", absl::StrCat("{moving}:", k), "0"}).ok());
  }
  absl::StatusOr<int> from = cluster_->OwnerOf(slot);
  ASSERT_TRUE(from.ok() && *from >= 0);
  const int to = (*from + 1) % 3;

  std::atomic<bool> stop{false};
  std::atomic<int64_t> acked{0}, failed{0};
  absl::Mutex mu;
  std::string first_failure;
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      // Bounded in count and in time.
      const absl::Time until = absl::Now() + absl::Seconds(20);
      for (int n = 0; n < 3000 && !stop.load() && absl::Now() < until; ++n) {
        absl::StatusOr<RedisReply> r =
            sync_->Command({"INCR", absl::StrCat("{moving}:", (n * 7 + t) % kKeys)});
        if (r.ok()) {
          ++acked;
        } else {
          ++failed;
          absl::MutexLock lock(&mu);
          if (first_failure.empty()) first_failure = r.status().ToString();
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(100));
  absl::Status moved = cluster_->MoveSlot(slot, to, [] { absl::SleepFor(absl::Milliseconds(5)); });
  absl::SleepFor(absl::Milliseconds(200));  // calls after the move: MOVED
  stop = true;
  for (std::thread& c : callers) c.join();
  ASSERT_TRUE(moved.ok()) << moved;
  EXPECT_EQ(failed.load(), 0) << first_failure;
  EXPECT_GT(acked.load(), 0);
  EXPECT_EQ(*cluster_->OwnerOf(slot), to);
  // Every acknowledged INCR counted once, on the new owner.
  int64_t total = 0;
  for (int k = 0; k < kKeys; ++k) {
    absl::StatusOr<std::string> v =
        cluster_->nodes()[to].server->Run({"GET", absl::StrCat("{moving}:", k)});
    ASSERT_TRUE(v.ok()) << v.status();
    int64_t n = 0;
    ASSERT_TRUE(absl::SimpleAtoi(*v, &n)) << *v;
    total += n;
  }
  EXPECT_EQ(total, acked.load());
}

}  // namespace
}  // namespace convene::storage
