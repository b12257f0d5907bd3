// RedisTest: a GoogleTest fixture base with one private redis-server per test
// suite and an empty database (FLUSHALL, SCRIPT FLUSH) for every test.
//
// A test may kill, stop or pause the server: the next test gets it back
// running. Suites that need other server flags override SetUpTestSuite.
//
// Example:
//   class CounterTest : public convene::testing_util::RedisTest {};
//   TEST_F(CounterTest, Increments) {
//     options.address = *RedisAddress::Parse(redis_address());
//     ...
//   }
//   class AofTest : public RedisTest {
//    public:
//     static void SetUpTestSuite() {
//       StartServer({.extra_args = {"--appendonly", "yes"}});
//     }
//   };
#ifndef CONVENE_TESTS_TESTING_UTIL_REDIS_TEST_H_
#define CONVENE_TESTS_TESTING_UTIL_REDIS_TEST_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "testing_util/redis_server.h"

namespace convene::testing_util {

class RedisTest : public ::testing::Test {
 public:
  // Starts the suite's server with default options.
  static void SetUpTestSuite() { StartServer(RedisServer::Options()); }
  // Stops it and deletes its directory.
  static void TearDownTestSuite() { server_.reset(); }

 protected:
  // Starts the suite's server with `options` (fails the suite if it cannot).
  static void StartServer(RedisServer::Options options);

  // Brings the server back if a previous test stopped it, then empties it.
  void SetUp() override;

  // The suite's server; valid between SetUpTestSuite and TearDownTestSuite.
  static RedisServer& redis_server() { return *server_; }
  // Its address, "unix://.../redis.sock".
  static std::string redis_address() { return server_->address(); }

 private:
  inline static std::unique_ptr<RedisServer> server_;
};

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_REDIS_TEST_H_
