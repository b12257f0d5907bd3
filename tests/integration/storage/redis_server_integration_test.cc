// The test helper itself: a private redis-server that restarts in place.
#include "testing_util/redis_server.h"

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace convene::testing_util {
namespace {

TEST(RedisServer, ListensOnlyOnItsUnixSocket) {
  auto server = RedisServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  EXPECT_EQ((*server)->address(), "unix://" + (*server)->socket_path());
  EXPECT_EQ((*server)->Run({"PING"}).value(), "PONG");
  EXPECT_EQ((*server)->Run({"CONFIG", "GET", "port"}).value(), "port\n0");
}

TEST(RedisServer, KeepsAofDataAcrossRestartAndCleansUp) {
  std::string dir;
  {
    auto server = RedisServer::Start({.extra_args = {"--appendonly", "yes"}});
    ASSERT_TRUE(server.ok()) << server.status();
    dir = (*server)->dir();
    ASSERT_EQ((*server)->Run({"SET", "kept", "yes"}).value(), "OK");
    ASSERT_TRUE((*server)->Kill(SIGKILL).ok());
    EXPECT_FALSE((*server)->running());
    // AOF is fsynced every second by default; SIGKILL may lose the last
    // second, so restart cleanly for the check below.
    ASSERT_TRUE((*server)->Restart().ok());
    ASSERT_EQ((*server)->Run({"SET", "kept", "yes"}).value(), "OK");
    ASSERT_TRUE((*server)->Restart().ok());  // SIGTERM: flushes the AOF
    EXPECT_EQ((*server)->Run({"GET", "kept"}).value(), "yes");
  }
  EXPECT_FALSE(std::filesystem::exists(dir));
}

TEST(RedisServer, ReportsAServerThatCannotStart) {
  auto server = RedisServer::Start({.extra_args = {"--no-such-option", "1"}});
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("no-such-option"), std::string::npos)
      << server.status();
}

}  // namespace
}  // namespace convene::testing_util
