#include "storage/redis_address.h"

#include <ostream>
#include <string>

#include "gtest/gtest.h"

namespace convene::storage {
namespace {

TEST(RedisAddress, ParsesHostAndPort) {
  absl::StatusOr<RedisAddress> a = RedisAddress::Parse("redis://cache.internal:6380");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind(), RedisAddress::Kind::kTcp);
  EXPECT_EQ(a->host(), "cache.internal");
  EXPECT_EQ(a->port(), 6380);
  EXPECT_EQ(a->ToString(), "redis://cache.internal:6380");
}

TEST(RedisAddress, DefaultsThePortTo6379) {
  absl::StatusOr<RedisAddress> a = RedisAddress::Parse("redis://10.0.0.7");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host(), "10.0.0.7");
  EXPECT_EQ(a->port(), 6379);
  EXPECT_TRUE(RedisAddress::Parse("redis://localhost/").ok());
}

TEST(RedisAddress, ParsesBracketedIpv6) {
  absl::StatusOr<RedisAddress> a = RedisAddress::Parse("redis://[::1]:7000");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->host(), "::1");
  EXPECT_EQ(a->port(), 7000);
  EXPECT_EQ(a->ToString(), "redis://[::1]:7000");
}

TEST(RedisAddress, ParsesUnixSocketPath) {
  absl::StatusOr<RedisAddress> a =
      RedisAddress::Parse("unix:///var/run/redis/redis.sock");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind(), RedisAddress::Kind::kUnix);
  EXPECT_EQ(a->unix_path(), "/var/run/redis/redis.sock");
  EXPECT_EQ(a->ToString(), "unix:///var/run/redis/redis.sock");
  EXPECT_EQ(a->host(), "");
  EXPECT_EQ(a->port(), 0);
}

TEST(RedisAddress, ParsesSentinelListAndMaster) {
  absl::StatusOr<RedisAddress> a = RedisAddress::Parse(
      "redis-sentinel://s1:26379,s2,[fe80::1]:5000/convene-main");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind(), RedisAddress::Kind::kSentinel);
  ASSERT_EQ(a->sentinels().size(), 3u);
  EXPECT_EQ(a->sentinels()[0], (RedisAddress::HostPort{"s1", 26379}));
  EXPECT_EQ(a->sentinels()[1], (RedisAddress::HostPort{"s2", 26379}));
  EXPECT_EQ(a->sentinels()[2], (RedisAddress::HostPort{"fe80::1", 5000}));
  EXPECT_EQ(a->master_name(), "convene-main");
  EXPECT_EQ(RedisAddress::Parse(a->ToString()).value(), *a);
}

TEST(RedisAddress, ParsesClusterSeeds) {
  absl::StatusOr<RedisAddress> a =
      RedisAddress::Parse("redis-cluster://10.0.0.1:7000,node-b,[fe80::1]:7002");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->kind(), RedisAddress::Kind::kCluster);
  ASSERT_EQ(a->seeds().size(), 3u);
  EXPECT_EQ(a->seeds()[0], (RedisAddress::HostPort{"10.0.0.1", 7000}));
  EXPECT_EQ(a->seeds()[1], (RedisAddress::HostPort{"node-b", 6379}));
  EXPECT_EQ(a->seeds()[2], (RedisAddress::HostPort{"fe80::1", 7002}));
  EXPECT_EQ(RedisAddress::Parse(a->ToString()).value(), *a);
  EXPECT_EQ(RedisAddress::Parse("redis-cluster://").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RedisAddress::Parse("redis-cluster://a:1,,b:2").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RedisAddress::Parse("redis-cluster://user:pw@a:1").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RedisAddress, RoundTripsThroughToString) {
  for (const char* uri : {"redis://h:1", "unix:///a/b.sock",
                          "redis-sentinel://a:1,b:2/m"}) {
    absl::StatusOr<RedisAddress> a = RedisAddress::Parse(uri);
    ASSERT_TRUE(a.ok()) << uri << ": " << a.status();
    EXPECT_EQ(a->ToString(), uri);
  }
}

struct BadAddress {
  const char* uri;
  const char* reason;  // a piece of the expected message
};

// Names the parameterized cases by their input in test output.
void PrintTo(const BadAddress& bad, std::ostream* os) {
  *os << "\"" << bad.uri << "\"";
}

class RedisAddressRejects : public ::testing::TestWithParam<BadAddress> {};

TEST_P(RedisAddressRejects, WithInvalidArgumentNamingAddressAndReason) {
  absl::StatusOr<RedisAddress> a = RedisAddress::Parse(GetParam().uri);
  ASSERT_FALSE(a.ok()) << GetParam().uri;
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(a.status().message().find(GetParam().reason), std::string::npos)
      << a.status();
}

INSTANTIATE_TEST_SUITE_P(
    BadInput, RedisAddressRejects,
    ::testing::Values(
        BadAddress{"", "empty address"},
        BadAddress{"localhost:6379", "unknown scheme"},
        BadAddress{"http://localhost", "unknown scheme"},
        BadAddress{"redis://", "missing host"},
        BadAddress{"redis://:6379", "missing host"},
        BadAddress{"redis://host:", "empty port"},
        BadAddress{"redis://host:0", "not a number in 1..65535"},
        BadAddress{"redis://host:65536", "not a number in 1..65535"},
        BadAddress{"redis://host:12ab", "not a number"},
        BadAddress{"redis://host:-1", "not a number"},
        BadAddress{"redis://host/3", "database number"},
        BadAddress{"redis://::1", "IPv6 needs [brackets]"},
        BadAddress{"redis://[::1", "unterminated"},
        BadAddress{"redis://user:hunter2@host", "credentials"},
        BadAddress{"redis://host?timeout=1", "query"},
        BadAddress{"unix://relative/path.sock", "absolute"},
        BadAddress{"unix:///tmp/", "must name a file"},
        BadAddress{"unix:///", "must name a file"},
        BadAddress{"redis-sentinel://s1:26379", "missing master name"},
        BadAddress{"redis-sentinel://s1:26379/", "empty master name"},
        BadAddress{"redis-sentinel:///m", "no sentinel"},
        BadAddress{"redis-sentinel://a,,b/m", "empty entry"}));

TEST(RedisAddress, NeverEchoesAPassword) {
  absl::StatusOr<RedisAddress> a =
      RedisAddress::Parse("redis://admin:hunter2@cache:6379");
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().message().find("hunter2"), std::string::npos)
      << a.status();
}

TEST(RedisAddress, RejectsUnixPathsTooLongForSockaddr) {
  std::string uri = "unix:///" + std::string(200, 'x');
  absl::StatusOr<RedisAddress> a = RedisAddress::Parse(uri);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("longer than"), std::string::npos);
}

}  // namespace
}  // namespace convene::storage
