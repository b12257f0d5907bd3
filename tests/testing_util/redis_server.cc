#include "testing_util/redis_server.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace convene::testing_util {
namespace {

constexpr absl::Duration kPoll = absl::Milliseconds(20);
constexpr absl::Duration kExitTimeout = absl::Seconds(10);

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// PATH lookup done before fork(): execv in the child needs no allocation.
absl::StatusOr<std::string> FindBinary(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    if (dir.empty()) continue;
    std::string candidate = absl::StrCat(dir, "/", name);
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat(
      name, " not found in PATH (apt-get install redis-server)"));
}

absl::StatusOr<std::string> MakeTempDir() {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
  // A Unix socket path must fit in sockaddr_un (108 bytes).
  if (base.size() > 60) base = "/tmp";
  std::string pattern = base + "/convene-redis-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return ErrnoError(absl::StrCat("mkdtemp ", pattern));
  }
  return pattern;
}


std::string ReplyToText(const redisReply* reply) {
  switch (reply->type) {
    case REDIS_REPLY_INTEGER:
      return absl::StrCat(reply->integer);
    case REDIS_REPLY_NIL:
      return "(nil)";
    case REDIS_REPLY_ARRAY: {
      std::string out;
      for (size_t i = 0; i < reply->elements; ++i) {
        if (i > 0) out += "\n";
        out += ReplyToText(reply->element[i]);
      }
      return out;
    }
    default:
      return std::string(reply->str, reply->len);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisServer>> RedisServer::Start(
    Options options) {
  // The blocking hiredis connections of Run() write with write(2); a server
  // that a test killed must not take the test binary down with SIGPIPE.
  signal(SIGPIPE, SIG_IGN);
  absl::StatusOr<std::string> dir = MakeTempDir();
  if (!dir.ok()) return dir.status();
  std::unique_ptr<RedisServer> server(
      new RedisServer(std::move(options), *std::move(dir)));
  absl::StatusOr<std::string> binary = FindBinary(server->options_.redis_server);
  if (!binary.ok()) return binary.status();
  server->binary_ = *std::move(binary);
  if (absl::Status s = server->Launch(); !s.ok()) return s;
  if (absl::Status s = server->WaitUntilReady(); !s.ok()) return s;
  return server;
}

// The kernel's pick of a free port.
int FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

std::vector<int> FreeLoopbackPorts(int n) {
  std::vector<int> fds, ports;
  for (int i = 0; i < n; ++i) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) break;
    fds.push_back(fd);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      break;
    }
    ports.push_back(ntohs(addr.sin_port));
  }
  for (int fd : fds) close(fd);
  if (static_cast<int>(ports.size()) != n) ports.clear();
  return ports;
}

bool RedisServer::ClusterFromEnvironment() {
  const char* value = std::getenv("CONVENE_TEST_REDIS_CLUSTER");
  return value != nullptr && std::string(value) == "1";
}

RedisServer::RedisServer(Options options, std::string dir)
    : options_(std::move(options)),
      dir_(std::move(dir)),
      socket_path_(dir_ + "/redis.sock") {
  const std::vector<std::string>& args = options_.extra_args;
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--requirepass") password_ = args[i + 1];
  }
}

RedisServer::~RedisServer() {
  if (running()) Kill(SIGKILL).IgnoreError();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

absl::Status RedisServer::Launch() {
  std::vector<std::string> args = {
      binary_,         "--port",      "0",      "--unixsocket", socket_path_,
      "--unixsocketperm", "700",      "--dir",  dir_,           "--save",
      "",              "--appendonly", "no",    "--daemonize",  "no",
  };
  if (options_.cluster) {
    // The cluster bus listens on TCP even with --port 0 (on port + 10000
    // unless told otherwise): loopback only, and a port of its own so that
    // servers of tests running side by side do not collide.
    if (cluster_bus_port_ == 0) cluster_bus_port_ = FreeLoopbackPort();
    args.insert(args.end(), {"--cluster-enabled", "yes", "--cluster-config-file",
                             dir_ + "/nodes.conf", "--cluster-port",
                             absl::StrCat(cluster_bus_port_), "--bind", "127.0.0.1"});
  }
  args.insert(args.end(), options_.extra_args.begin(),
              options_.extra_args.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::string log_path = dir_ + "/redis.log";
  pid_t parent = getpid();

  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) {
    // Child: async-signal-safe calls only until execv.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    signal(SIGPIPE, SIG_DFL);
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    int null = open("/dev/null", O_RDONLY);
    if (log >= 0) {
      dup2(log, STDOUT_FILENO);
      dup2(log, STDERR_FILENO);
    }
    if (null >= 0) dup2(null, STDIN_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  paused_ = false;
  return absl::OkStatus();
}

absl::Status RedisServer::WaitUntilReady() {
  absl::Time deadline = absl::Now() + options_.start_timeout;
  std::string last_error = "no attempt";
  while (absl::Now() < deadline) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      return absl::InternalError(absl::StrCat(
          "redis-server exited during start-up (status ", status,
          "); log:\n", LogTail()));
    }
    absl::StatusOr<std::string> pong =
        Run({"PING"}, absl::Milliseconds(500));
    if (pong.ok() && *pong == "PONG" && !options_.cluster) return absl::OkStatus();
    if (pong.ok() && *pong == "PONG") {
      // A fresh node owns no slot; a restarted one keeps them (nodes.conf).
      absl::StatusOr<std::string> info = Run({"CLUSTER", "INFO"}, absl::Milliseconds(500));
      if (info.ok() && absl::StrContains(*info, "cluster_slots_assigned:0")) {
        Run({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}, absl::Milliseconds(500)).IgnoreError();
      }
      if (info.ok() && absl::StrContains(*info, "cluster_state:ok")) return absl::OkStatus();
      last_error = info.ok() ? "cluster not ok yet" : std::string(info.status().message());
      absl::SleepFor(kPoll);
      continue;
    }
    last_error = pong.ok() ? *pong : std::string(pong.status().message());
    absl::SleepFor(kPoll);
  }
  return absl::DeadlineExceededError(absl::StrCat(
      "redis-server did not answer PING within ",
      absl::FormatDuration(options_.start_timeout), " (last: ", last_error,
      "); log:\n", LogTail()));
}

absl::Status RedisServer::WaitForExit(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (true) {
    int status = 0;
    pid_t done = waitpid(pid_, &status, WNOHANG);
    if (done == pid_ || (done < 0 && errno == ECHILD)) {
      pid_ = -1;
      paused_ = false;
      return absl::OkStatus();
    }
    if (absl::Now() >= deadline) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  // Did not go away in time: force it, and reap it for sure.
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
  paused_ = false;
  return absl::DeadlineExceededError(absl::StrCat(
      "redis-server did not exit within ", absl::FormatDuration(timeout),
      "; killed it"));
}

absl::Status RedisServer::Kill(int signal) {
  if (!running()) return absl::OkStatus();
  if (kill(pid_, signal) != 0) return ErrnoError("kill");
  // A stopped process only acts on SIGTERM once continued.
  if (paused_) kill(pid_, SIGCONT);
  return WaitForExit(kExitTimeout);
}

absl::Status RedisServer::Stop() { return Kill(SIGTERM); }

absl::Status RedisServer::Pause() {
  if (!running()) return absl::FailedPreconditionError("redis-server is not running");
  if (kill(pid_, SIGSTOP) != 0) return ErrnoError("kill SIGSTOP");
  // Returns once the process is actually stopped.
  int status = 0;
  if (waitpid(pid_, &status, WUNTRACED) != pid_ || !WIFSTOPPED(status)) {
    return absl::InternalError("redis-server did not stop");
  }
  paused_ = true;
  return absl::OkStatus();
}

absl::Status RedisServer::Resume() {
  if (!running()) return absl::FailedPreconditionError("redis-server is not running");
  if (kill(pid_, SIGCONT) != 0) return ErrnoError("kill SIGCONT");
  paused_ = false;
  return absl::OkStatus();
}

absl::Status RedisServer::Restart() {
  if (running()) {
    if (absl::Status s = Stop(); !s.ok()) return s;
  }
  if (absl::Status s = Launch(); !s.ok()) return s;
  return WaitUntilReady();
}

absl::StatusOr<std::string> RedisServer::Run(
    const std::vector<std::string>& argv, absl::Duration timeout) {
  redisContext* c =
      redisConnectUnixWithTimeout(socket_path_.c_str(), absl::ToTimeval(timeout));
  if (c == nullptr) return absl::InternalError("hiredis: out of memory");
  std::unique_ptr<redisContext, void (*)(redisContext*)> closer(c, redisFree);
  if (c->err != 0) {
    return absl::UnavailableError(absl::StrCat("connect ", socket_path_, ": ",
                                               c->errstr));
  }
  redisSetTimeout(c, absl::ToTimeval(timeout));
  if (!password_.empty()) {
    auto* auth = static_cast<redisReply*>(
        redisCommand(c, "AUTH %b", password_.data(), password_.size()));
    if (auth == nullptr) {
      return absl::UnavailableError(absl::StrCat("redis: ", c->errstr));
    }
    bool rejected = auth->type == REDIS_REPLY_ERROR;
    freeReplyObject(auth);
    if (rejected) return absl::InternalError("redis rejected AUTH");
  }
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (const std::string& arg : argv) {
    args.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* reply = static_cast<redisReply*>(redisCommandArgv(
      c, static_cast<int>(args.size()), args.data(), lengths.data()));
  if (reply == nullptr) {
    return absl::UnavailableError(absl::StrCat("redis: ", c->errstr));
  }
  std::unique_ptr<redisReply, void (*)(void*)> free_reply(reply,
                                                          freeReplyObject);
  if (reply->type == REDIS_REPLY_ERROR) {
    return absl::InternalError(std::string(reply->str, reply->len));
  }
  return ReplyToText(reply);
}

std::string RedisServer::LogTail() const {
  std::ifstream in(dir_ + "/redis.log");
  std::stringstream all;
  all << in.rdbuf();
  std::string text = all.str();
  constexpr size_t kTail = 2000;
  if (text.size() > kTail) text = text.substr(text.size() - kTail);
  return text;
}

}  // namespace convene::testing_util
