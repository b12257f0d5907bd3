#include "storage/redis_reply.h"

#include <string>

#include "gtest/gtest.h"

namespace convene::storage {
namespace {

TEST(RedisReply, ReadsStringsAndStatuses) {
  EXPECT_EQ(RedisReply::String("abc").as_string().value(), "abc");
  EXPECT_EQ(RedisReply::Status("OK").as_string().value(), "OK");
  EXPECT_EQ(RedisReply::Integer(1).as_string().status().code(),
            absl::StatusCode::kInternal);
}

TEST(RedisReply, ReadsIntegersFromIntegerOrNumericString) {
  EXPECT_EQ(RedisReply::Integer(-7).as_integer().value(), -7);
  EXPECT_EQ(RedisReply::String("42").as_integer().value(), 42);
  absl::StatusOr<int64_t> bad = RedisReply::String("4x2").as_integer();
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInternal);
  EXPECT_NE(bad.status().message().find("4x2"), std::string::npos);
  EXPECT_FALSE(RedisReply::Nil().as_integer().ok());
}

TEST(RedisReply, ExposesArrayElementsAndNothingForOtherTypes) {
  RedisReply array = RedisReply::Array(
      {RedisReply::Integer(1), RedisReply::Nil(), RedisReply::String("x")});
  ASSERT_EQ(array.elements().size(), 3u);
  EXPECT_TRUE(array.elements()[1].is_nil());
  EXPECT_TRUE(RedisReply::String("x").elements().empty());
}

TEST(RedisReply, RendersForHumans) {
  RedisReply r = RedisReply::Array({RedisReply::Integer(1),
                                    RedisReply::String(std::string("a\0b", 3)),
                                    RedisReply::Nil(), RedisReply::Error("ERR x")});
  EXPECT_EQ(r.DebugString(),
            "[integer 1, string \"a\\000b\", nil, error \"ERR x\"]");
}

}  // namespace
}  // namespace convene::storage
