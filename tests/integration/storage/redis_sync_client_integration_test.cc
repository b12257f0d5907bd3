// RedisSyncClient against a real, private redis-server.
#include "storage/redis_sync_client.h"

#include <memory>

#include "absl/cleanup/cleanup.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "testing_util/redis_test.h"
#include "tests/integration/storage/scripts/get_or_not_found_lua.h"
#include "integration/storage/storage_test_util.h"

namespace convene::storage {
namespace {

using ::convene::storage::testing::OptionsFor;

class RedisSyncClientTest : public testing_util::RedisTest {};

TEST_F(RedisSyncClientTest, RunsCommandsScriptsAndPipelines) {
  auto redis = RedisSyncClient::Start(OptionsFor(redis_address()));
  ASSERT_TRUE(redis.ok()) << redis.status();
  EXPECT_EQ((*redis)->Command({"SET", "k", "v"}).value(),
            RedisReply::Status("OK"));
  EXPECT_EQ((*redis)->Eval(test_scripts::GetOrNotFound(), {"k"}, {}).value(),
            RedisReply::String("v"));
  auto results = (*redis)->Pipeline({{"GET", "k"}, {"DEL", "k"}});
  ASSERT_TRUE(results.ok()) << results.status();
  EXPECT_EQ((*results)[0].value(), RedisReply::String("v"));
  EXPECT_EQ((*results)[1].value(), RedisReply::Integer(1));
}

TEST_F(RedisSyncClientTest, NeverWaitsPastItsTimeout) {
  auto redis = RedisSyncClient::Start(OptionsFor(redis_address(), absl::Seconds(30)));
  ASSERT_TRUE(redis.ok());
  ASSERT_TRUE((*redis)->Command({"PING"}).ok());
  ASSERT_TRUE(redis_server().Pause().ok());
  absl::Cleanup resume = [&] { redis_server().Resume().IgnoreError(); };
  absl::Time start = absl::Now();
  absl::StatusOr<RedisReply> reply =
      (*redis)->Command({"PING"}, absl::Milliseconds(300));
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

}  // namespace
}  // namespace convene::storage
