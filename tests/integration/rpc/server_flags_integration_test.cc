#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "rpc/server_config.h"

namespace convene::rpc {
namespace {

TEST(ServerConfigFromFlags, DefaultsAgreeWithServerConfig) {
  absl::FlagSaver saver;
  ServerConfig from_flags = ServerConfigFromFlags();
  ServerConfig defaults;
  EXPECT_EQ(from_flags.listen, defaults.listen);
  EXPECT_EQ(from_flags.redis, defaults.redis);
  EXPECT_EQ(from_flags.log_rpcs, defaults.log_rpcs);
  EXPECT_EQ(from_flags.shutdown_grace, defaults.shutdown_grace);
  EXPECT_EQ(from_flags.max_message_bytes, defaults.max_message_bytes);
  EXPECT_EQ(from_flags.listen, "127.0.0.1:50051");
  EXPECT_EQ(from_flags.redis, "redis://127.0.0.1:6379");
  EXPECT_TRUE(from_flags.log_rpcs);
}

TEST(ServerConfigFromFlags, ReadsEveryFlag) {
  absl::FlagSaver saver;
  absl::SetFlag(&FLAGS_listen, "127.0.0.1:0");
  absl::SetFlag(&FLAGS_redis, "unix:///tmp/redis.sock");
  absl::SetFlag(&FLAGS_log_rpcs, false);
  absl::SetFlag(&FLAGS_shutdown_grace, absl::Milliseconds(1500));
  absl::SetFlag(&FLAGS_max_message_bytes, 1024);

  ServerConfig config = ServerConfigFromFlags();
  EXPECT_EQ(config.listen, "127.0.0.1:0");
  EXPECT_EQ(config.redis, "unix:///tmp/redis.sock");
  EXPECT_FALSE(config.log_rpcs);
  EXPECT_EQ(config.shutdown_grace, absl::Milliseconds(1500));
  EXPECT_EQ(config.max_message_bytes, 1024);
}

// ParseServerFlags() may run once per process (Abseil refuses a second usage
// message), so each of these tests runs it in a child process.
TEST(ParseServerFlagsDeathTest, ParsesTheSharedFlags) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::vector<std::string> args = {"convene-test", "--listen=127.0.0.1:0",
                                   "--nolog_rpcs", "--shutdown_grace=2s",
                                   "positional"};
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());

  auto parse_and_check = [&argv]() -> bool {
    std::vector<char*> rest = ParseServerFlags(
        static_cast<int>(argv.size()), argv.data(), "convene-test: a test");
    ServerConfig config = ServerConfigFromFlags();
    return rest.size() == 2 && std::string(rest[1]) == "positional" &&
           config.listen == "127.0.0.1:0" && !config.log_rpcs &&
           config.shutdown_grace == absl::Seconds(2);
  };
  EXPECT_EXIT(std::exit(parse_and_check() ? 0 : 1),
              ::testing::ExitedWithCode(0), "");
}

// The help text goes to stdout, which the child points at stderr for the
// matcher to see.
TEST(ParseServerFlagsDeathTest, HelpListsTheSharedFlags) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::string program = "convene-test";
  std::string help = "--help";
  char* argv[] = {program.data(), help.data()};
  EXPECT_EXIT(
      {
        dup2(STDERR_FILENO, STDOUT_FILENO);
        ParseServerFlags(2, argv, "convene-test: a test");
      },
      [](int) { return true; },
      "convene-test: a test(.|\n)*services/rpc/server_flags.cc(.|\n)*"
      "--listen(.|\n)*--redis");
}

}  // namespace
}  // namespace convene::rpc
