#include "testing_util/redis_test.h"

#include <string>
#include <utility>
#include <vector>

namespace convene::testing_util {

void RedisTest::StartServer(RedisServer::Options options) {
  server_.reset();
  absl::StatusOr<std::unique_ptr<RedisServer>> server =
      RedisServer::Start(std::move(options));
  if (!server.ok()) {
    ADD_FAILURE() << "cannot start redis-server: " << server.status();
    return;
  }
  server_ = *std::move(server);
}

void RedisTest::SetUp() {
  ASSERT_NE(server_, nullptr) << "the suite's redis-server did not start";
  if (server_->running()) {
    // A test may have left it paused; SIGCONT is harmless otherwise.
    ASSERT_TRUE(server_->Resume().ok());
  } else {
    absl::Status restarted = server_->Restart();
    ASSERT_TRUE(restarted.ok()) << restarted;
  }
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"FLUSHALL"},
        std::vector<std::string>{"SCRIPT", "FLUSH"}}) {
    absl::StatusOr<std::string> reply = server_->Run(argv);
    ASSERT_TRUE(reply.ok()) << argv.front() << ": " << reply.status();
  }
}

}  // namespace convene::testing_util
