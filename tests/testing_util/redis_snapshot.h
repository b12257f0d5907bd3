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
#include <vector>

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

// Every key of the test server with its value read by type (strings,
// hashes, lists, sets, sorted sets, stream entries) as plain text, so a
// test can search the whole keyspace for a value: DUMP's payload may be
// compressed, this never is.
//
//   EXPECT_THAT(RedisKeyspaceText(sync), Not(HasSubstr("ana.kovac@")));
inline std::string RedisKeyspaceText(storage::RedisSyncClient& redis) {
  // Flattens a reply of strings and arrays into one line.
  struct Flatten {
    static void Into(const storage::RedisReply& r, std::string& out) {
      if (r.is_array()) {
        for (const storage::RedisReply& e : r.elements()) Into(e, out);
      } else {
        absl::StrAppend(&out, r.text(), " ");
      }
    }
  };
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
      const std::string k = key.text();
      absl::StatusOr<storage::RedisReply> type = redis.Command({"TYPE", k});
      const std::string t = type.ok() ? type->text() : "";
      std::vector<std::string> read;
      if (t == "string") read = {"GET", k};
      else if (t == "hash") read = {"HGETALL", k};
      else if (t == "list") read = {"LRANGE", k, "0", "-1"};
      else if (t == "set") read = {"SMEMBERS", k};
      else if (t == "zset") read = {"ZRANGE", k, "0", "-1", "WITHSCORES"};
      else if (t == "stream") read = {"XRANGE", k, "-", "+"};
      std::string text;
      if (!read.empty()) {
        absl::StatusOr<storage::RedisReply> value = redis.Command(read);
        if (value.ok()) Flatten::Into(*value, text);
      }
      values[k] = text;
    }
  } while (cursor != "0");
  std::string out;
  for (const auto& [key, value] : values) absl::StrAppend(&out, key, " = ", value, "\n");
  return out;
}

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_REDIS_SNAPSHOT_H_
