// RedisServer: a private redis-server child process for tests.
//
// Each instance runs `redis-server` in a fresh temporary directory, listening
// only on a Unix socket in that directory (--port 0: no TCP at all), with
// persistence off unless extra arguments turn it on. Restart() reuses the
// directory and socket, so data survives it when AOF is enabled.
//
// The child gets PR_SET_PDEATHSIG(SIGKILL): it dies with the thread that
// started it, so start servers from the test's main thread.
//
// Example:
//   absl::StatusOr<std::unique_ptr<RedisServer>> redis = RedisServer::Start();
//   ASSERT_TRUE(redis.ok()) << redis.status();
//   options.address = *RedisAddress::Parse((*redis)->address());
//   (*redis)->Kill();     // SIGKILL, reaped
//   (*redis)->Restart();  // same socket, waits until PING answers
#ifndef CONVENE_TESTS_TESTING_UTIL_REDIS_SERVER_H_
#define CONVENE_TESTS_TESTING_UTIL_REDIS_SERVER_H_

#include <signal.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace convene::testing_util {

// A TCP port on 127.0.0.1 that was free a moment ago (0 if none was found).
int FreeLoopbackPort();
// `n` distinct such ports, held open together while picked so that none is
// handed out twice (empty if the kernel gave none).
std::vector<int> FreeLoopbackPorts(int n);

class RedisServer {
 public:
  struct Options {
    // Appended to the command line, e.g. {"--appendonly", "yes"}.
    std::vector<std::string> extra_args;
    // How long Start()/Restart() wait for PING to answer.
    absl::Duration start_timeout = absl::Seconds(5);
    // The binary, looked up in PATH unless it contains a '/'.
    std::string redis_server = "redis-server";
    // A Redis Cluster of this one node, owning every slot: commands and
    // scripts whose keys span slots fail with CROSSSLOT, as on a real
    // cluster. Defaults to whether CONVENE_TEST_REDIS_CLUSTER is "1" (ctest
    // runs the integration suites once more that way: tests/CMakeLists.txt).
    bool cluster = ClusterFromEnvironment();
  };
  static bool ClusterFromEnvironment();

  // Starts a server and waits until it answers PING. Fails (with the tail of
  // the server's log) if it exits or does not answer in time.
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start(Options options);
  static absl::StatusOr<std::unique_ptr<RedisServer>> Start() {
    return Start(Options());
  }

  // Stops the server (SIGCONT, SIGTERM, then SIGKILL if needed) and deletes
  // its directory.
  ~RedisServer();

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // "unix://<dir>/redis.sock", for RedisAddress::Parse.
  std::string address() const { return "unix://" + socket_path_; }
  const std::string& socket_path() const { return socket_path_; }
  const std::string& dir() const { return dir_; }
  // The child's pid, or -1 when not running.
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Sends `signal` and waits (bounded) for the process to exit. For
  // terminating signals only (SIGKILL, SIGTERM); see Pause() for SIGSTOP.
  absl::Status Kill(int signal = SIGKILL);
  // SIGTERM (Redis shuts down cleanly, flushing AOF) and waits for exit.
  absl::Status Stop();
  // Freezes the process (SIGSTOP): connections stay open, nothing answers.
  absl::Status Pause();
  // Undoes Pause() (SIGCONT).
  absl::Status Resume();
  // Stops the server if running, starts it again in the same directory and
  // waits until PING answers.
  absl::Status Restart();

  // Runs one command over a short-lived blocking connection (authenticated
  // if extra_args set --requirepass) (bounded by
  // `timeout`) and returns the reply rendered as text: strings and statuses
  // as-is, integers in decimal, nil as "(nil)", errors as an INTERNAL status.
  // For test setup (FLUSHALL, SCRIPT FLUSH); not for the code under test.
  absl::StatusOr<std::string> Run(const std::vector<std::string>& argv,
                                  absl::Duration timeout = absl::Seconds(5));

 private:
  RedisServer(Options options, std::string dir);
  absl::Status Launch();
  absl::Status WaitUntilReady();
  absl::Status WaitForExit(absl::Duration timeout);
  std::string LogTail() const;

  Options options_;
  std::string binary_;
  std::string dir_;
  std::string socket_path_;
  pid_t pid_ = -1;
  bool paused_ = false;
  std::string password_;  // from --requirepass in extra_args
  // The cluster bus port (cluster mode), kept across Restart().
  int cluster_bus_port_ = 0;
};

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_REDIS_SERVER_H_
