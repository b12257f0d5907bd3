// PlannerFeed's positions against a real, private redis-server.
#include "storage/planner_feed.h"

#include <map>
#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "integration/storage/storage_test_util.h"
#include "storage/redis_sync_client.h"
#include "testing_util/redis_test.h"

namespace convene::storage {
namespace {

using ::convene::storage::testing::OptionsFor;

class PlannerFeedTest : public testing_util::RedisTest {
 protected:
  std::map<std::string, std::string> Stored(RedisSyncClient& redis) {
    std::map<std::string, std::string> out;
    auto all = redis.Command({"HGETALL", "positions"});
    EXPECT_TRUE(all.ok()) << all.status();
    auto e = all->elements();
    for (size_t i = 0; i + 1 < e.size(); i += 2) {
      out[std::string(*e[i].as_string())] = std::string(*e[i + 1].as_string());
    }
    return out;
  }
};

// A follower of many streams moves a few per batch; its save writes those
// and leaves every other stream's position as Redis holds it, so it never
// moves back a stream it did not move itself.
TEST_F(PlannerFeedTest, SavingPositionsWritesOnlyTheStreamsThatMoved) {
  auto redis = RedisSyncClient::Start(OptionsFor(redis_address()));
  ASSERT_TRUE(redis.ok()) << redis.status();
  PlannerFeed feed(**redis, {.lease = "lease", .positions = "positions"});

  ASSERT_TRUE(feed.SavePositions({{"a", "1-0"}, {"b", "2-0"}, {"c", "0-0"}}).ok());
  EXPECT_EQ(Stored(**redis),
            (std::map<std::string, std::string>{{"a", "1-0"}, {"b", "2-0"}, {"c", "0-0"}}));

  // Someone else moves b meanwhile (another replica that led for a while).
  ASSERT_TRUE((*redis)->Command({"HSET", "positions", "b", "9-0"}).ok());
  ASSERT_TRUE(feed.SavePositions({{"a", "3-0"}, {"b", "2-0"}, {"c", "0-0"}}).ok());
  EXPECT_EQ(Stored(**redis),
            (std::map<std::string, std::string>{{"a", "3-0"}, {"b", "9-0"}, {"c", "0-0"}}));

  // Read back, the positions are what Redis holds, and saving them writes
  // nothing; a stream moved after that is written.
  auto read = feed.Positions();
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->at("b"), "9-0");
  ASSERT_TRUE((*redis)->Command({"DEL", "positions"}).ok());
  ASSERT_TRUE(feed.SavePositions(*read).ok());
  EXPECT_TRUE(Stored(**redis).empty());
  (*read)["c"] = "5-0";
  ASSERT_TRUE(feed.SavePositions(*read).ok());
  EXPECT_EQ(Stored(**redis), (std::map<std::string, std::string>{{"c", "5-0"}}));
}

}  // namespace
}  // namespace convene::storage
