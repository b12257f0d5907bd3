// RedisSnapshot: every key in the test server with its serialised value
// (DUMP), so a test can show that a refused call wrote nothing.
//
//   std::string before = RedisSnapshot(sync);
//   ... a call that must fail ...
//   EXPECT_EQ(RedisSnapshot(sync), before);
#ifndef CONVENE_TESTS_TESTING_UTIL_REDIS_SNAPSHOT_H_
#define CONVENE_TESTS_TESTING_UTIL_REDIS_SNAPSHOT_H_

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/redis_sync_client.h"

namespace convene::testing_util {

inline std::string RedisSnapshot(storage::RedisSyncClient& redis) {
  std::map<std::string, std::string> values;
  std::string cursor = "0";
  do {
    absl::StatusOr<storage::RedisReply> page =
        redis.Command({"SCAN", cursor, "COUNT", "1000"});
    if (!page.ok()) {
      ADD_FAILURE() << "SCAN: " << page.status();
      return "";
    }
    cursor = page->elements()[0].text();
    for (const storage::RedisReply& key : page->elements()[1].elements()) {
      absl::StatusOr<storage::RedisReply> dump = redis.Command({"DUMP", key.text()});
      values[key.text()] = dump.ok() ? dump->text() : "";
    }
  } while (cursor != "0");
  std::string out;
  for (const auto& [key, value] : values) {
    absl::StrAppend(&out, key, "=", value.size(), ":", value, "\n");
  }
  return out;
}

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_REDIS_SNAPSHOT_H_
