// KeySlot against Redis' own CLUSTER KEYSLOT, on a real cluster-mode
// redis-server, for Convene's keys and the hash-tag edge cases of the Redis
// Cluster specification.
#include "storage/cluster_slot.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/keys.h"
#include "testing_util/redis_server.h"

namespace convene::storage {
namespace {

TEST(ClusterSlot, Crc16IsTheSpecificationsXmodem) {
  // The check value the Redis Cluster specification gives.
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
}

TEST(ClusterSlot, HashTagRules) {
  EXPECT_EQ(HashTagOf("cv:{ev:ev_1}:regs"), "ev:ev_1");
  EXPECT_EQ(HashTagOf("plain"), "plain");
  EXPECT_EQ(HashTagOf("{}x"), "{}x");          // empty tag: the whole key
  EXPECT_EQ(HashTagOf("{a"), "{a");            // no closing brace
  EXPECT_EQ(HashTagOf("a}{b}"), "b");          // the first '{' counts
  EXPECT_EQ(HashTagOf("{{x}}"), "{x");         // up to the first '}'
  EXPECT_EQ(KeySlot(keys::Registrations("ev_1")), KeySlot(keys::Counters("ev_1")));
}

TEST(ClusterSlot, AgreesWithRedis) {
  testing_util::RedisServer::Options options;
  options.cluster = true;
  auto server = testing_util::RedisServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  std::vector<std::string> keys = {
      keys::CalendarDocuments(),   keys::CalendarChanges(),  keys::EventSheet("ev_1"),
      keys::AttendanceChanges("ev_0123456789abcdef"),          keys::ReminderShard(0).DueReminders(),
      keys::ChangeFeed(),          keys::AttendanceEvents(), keys::TzdataVersion(),
      "plain", "{}x", "{a", "a}{b}", "{{x}}", "ünïcödé", ""};
  for (int i = 0; i < 200; ++i) keys.push_back(absl::StrCat("key:", i, ":", i * 7919));
  for (const std::string& key : keys) {
    absl::StatusOr<std::string> slot = (*server)->Run({"CLUSTER", "KEYSLOT", key});
    ASSERT_TRUE(slot.ok()) << slot.status();
    int expected = -1;
    ASSERT_TRUE(absl::SimpleAtoi(*slot, &expected)) << *slot;
    EXPECT_EQ(KeySlot(key), expected) << key;
  }
}

}  // namespace
}  // namespace convene::storage
