// RedisSnapshot: every key in the test server with its value read by type,
// hash fields and set members sorted, so a test can show that a refused
// call wrote nothing. Not DUMP: a hash's DUMP follows its dictionary's
// internal order, which a mere read can change (incremental rehashing).
//
//   std::string before = RedisSnapshot(sync);
//   ... a call that must fail ...
//   EXPECT_EQ(RedisSnapshot(sync), before);
#ifndef CONVENE_TESTS_TESTING_UTIL_REDIS_SNAPSHOT_H_
#define CONVENE_TESTS_TESTING_UTIL_REDIS_SNAPSHOT_H_

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/redis_sync_client.h"

namespace convene::testing_util {

// A reply of strings and arrays as text: each string as "<size>:<bytes>",
// so no two different replies read alike.
inline void AppendReplyText(const storage::RedisReply& r, std::string& out) {
  if (r.is_array()) {
    absl::StrAppend(&out, "[");
    for (const storage::RedisReply& e : r.elements()) AppendReplyText(e, out);
    absl::StrAppend(&out, "]");
  } else {
    absl::StrAppend(&out, r.text().size(), ":", r.text(), " ");
  }
}

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
      const std::string k = key.text();
      absl::StatusOr<storage::RedisReply> type = redis.Command({"TYPE", k});
      const std::string t = type.ok() ? type->text() : "";
      std::string text = t + " ";
      if (t == "hash" || t == "set") {
        absl::StatusOr<storage::RedisReply> value =
            redis.Command({t == "hash" ? "HGETALL" : "SMEMBERS", k});
        std::vector<std::string> items;
        if (value.ok()) {
          const auto e = value->elements();
          const size_t step = t == "hash" ? 2 : 1;
          for (size_t i = 0; i + step - 1 < e.size(); i += step) {
            std::string item;
            for (size_t j = 0; j < step; ++j) AppendReplyText(e[i + j], item);
            items.push_back(std::move(item));
          }
        }
        std::sort(items.begin(), items.end());
        for (const std::string& item : items) absl::StrAppend(&text, item, "\n  ");
      } else {
        std::vector<std::string> read;
        if (t == "string") read = {"GET", k};
        else if (t == "list") read = {"LRANGE", k, "0", "-1"};
        else if (t == "zset") read = {"ZRANGE", k, "0", "-1", "WITHSCORES"};
        else if (t == "stream") read = {"XRANGE", k, "-", "+"};
        if (!read.empty()) {
          absl::StatusOr<storage::RedisReply> value = redis.Command(read);
          if (value.ok()) AppendReplyText(*value, text);
        }
      }
      values[k] = std::move(text);
    }
  } while (cursor != "0");
  std::string out;
  for (const auto& [key, value] : values) absl::StrAppend(&out, key, " = ", value, "\n");
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
