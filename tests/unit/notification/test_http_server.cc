#include "test_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace convene::testing_util {
namespace {

// Requests larger than this are cut off; tests send far less.
constexpr size_t kMaxRequestBytes = 4 * 1024 * 1024;
// How often blocked calls look at the stop flag.
constexpr absl::Duration kPollSlice = absl::Milliseconds(50);

int PollMillis(absl::Time deadline) {
  const absl::Duration left = std::min(deadline - absl::Now(), kPollSlice);
  return static_cast<int>(
      std::max<int64_t>(absl::ToInt64Milliseconds(left), 1));
}

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// Appends what the peer sends next. False on end of stream, error, stop, or
// when `deadline` passes.
bool ReadSome(int fd, std::string& buffer, absl::Time deadline,
              const std::atomic<bool>& stopping) {
  while (!stopping.load() && absl::Now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const int ready = poll(&p, 1, PollMillis(deadline));
    if (ready <= 0) continue;  // time slice over, or EINTR
    char chunk[16 * 1024];
    const ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n > 0) {
      buffer.append(chunk, static_cast<size_t>(n));
      return true;
    }
    if (n == 0) return false;
    if (errno != EINTR && errno != EAGAIN) return false;
  }
  return false;
}

bool WriteAll(int fd, absl::string_view data, absl::Time deadline,
              const std::atomic<bool>& stopping) {
  while (!data.empty() && !stopping.load() && absl::Now() < deadline) {
    pollfd p{fd, POLLOUT, 0};
    const int ready = poll(&p, 1, PollMillis(deadline));
    if (ready <= 0) continue;
    // MSG_NOSIGNAL: a client that hung up must not kill the test with SIGPIPE.
    const ssize_t n = send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno != EINTR && errno != EAGAIN) {
      return false;
    }
  }
  return data.empty();
}

absl::string_view ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

absl::StatusOr<std::pair<int, int>> BindLoopback() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    absl::Status error = ErrnoError("bind 127.0.0.1:0");
    close(fd);
    return error;
  }
  return std::make_pair(fd, static_cast<int>(ntohs(address.sin_port)));
}

}  // namespace

absl::StatusOr<std::unique_ptr<TestHttpServer>> TestHttpServer::Start(
    std::vector<Reply> script, Limits limits) {
  if (script.empty()) {
    return absl::InvalidArgumentError("TestHttpServer needs a script");
  }
  absl::StatusOr<std::pair<int, int>> bound = BindLoopback();
  if (!bound.ok()) return bound.status();
  const auto [fd, port] = *bound;
  if (listen(fd, 16) != 0) {
    absl::Status error = ErrnoError("listen");
    close(fd);
    return error;
  }
  return std::unique_ptr<TestHttpServer>(
      new TestHttpServer(fd, port, std::move(script), limits));
}

TestHttpServer::TestHttpServer(int listen_fd, int port,
                               std::vector<Reply> script, Limits limits)
    : listen_fd_(listen_fd),
      port_(port),
      script_(std::move(script)),
      limits_(limits),
      thread_([this] { Serve(); }) {}

TestHttpServer::~TestHttpServer() {
  stopping_.store(true);
  thread_.join();
  close(listen_fd_);
}

std::string TestHttpServer::Url(absl::string_view path) const {
  return absl::StrCat("http://127.0.0.1:", port_, path);
}

std::vector<TestHttpServer::Request> TestHttpServer::Requests() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

bool TestHttpServer::WaitForRequests(int count, absl::Duration timeout) const {
  auto enough = [this, count]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(requests_.size()) >= count;
  };
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

void TestHttpServer::Serve() {
  const absl::Time end = absl::Now() + limits_.lifetime;
  size_t next_reply = 0;
  int connections = 0;
  while (connections < limits_.max_connections && !stopping_.load() &&
         absl::Now() < end) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, PollMillis(end)) <= 0) continue;
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections;
    const Reply& reply = script_[std::min(next_reply, script_.size() - 1)];
    ++next_reply;
    ServeConnection(fd, reply);
    close(fd);
  }
}

void TestHttpServer::ServeConnection(int fd, const Reply& reply) {
  const absl::Time deadline = absl::Now() + limits_.io_timeout;
  std::string buffer;
  size_t head_end = std::string::npos;
  while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (buffer.size() > kMaxRequestBytes ||
        !ReadSome(fd, buffer, deadline, stopping_)) {
      return;  // no complete request: nothing to record or answer
    }
  }

  Request request;
  const std::vector<absl::string_view> lines =
      absl::StrSplit(absl::string_view(buffer).substr(0, head_end), "\r\n");
  const std::vector<absl::string_view> request_line =
      absl::StrSplit(lines.front(), absl::MaxSplits(' ', 2));
  request.method = std::string(request_line[0]);
  if (request_line.size() > 1) request.target = std::string(request_line[1]);
  for (size_t i = 1; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == absl::string_view::npos) continue;
    request.headers[absl::AsciiStrToLower(lines[i].substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
  }

  size_t content_length = 0;
  if (auto it = request.headers.find("content-length");
      it != request.headers.end()) {
    (void)absl::SimpleAtoi(it->second, &content_length);
    content_length = std::min(content_length, kMaxRequestBytes);
  }
  if (auto it = request.headers.find("expect");
      it != request.headers.end() &&
      absl::EqualsIgnoreCase(it->second, "100-continue")) {
    WriteAll(fd, "HTTP/1.1 100 Continue\r\n\r\n", deadline, stopping_);
  }
  std::string body = buffer.substr(head_end + 4);
  while (body.size() < content_length &&
         ReadSome(fd, body, deadline, stopping_)) {
  }
  body.resize(std::min(body.size(), content_length));
  request.body = std::move(body);
  {
    absl::MutexLock lock(&mu_);
    requests_.push_back(std::move(request));
  }

  if (reply.never_answer) {
    // Silent until the client gives up; what it might still send is ignored.
    std::string ignored;
    while (ReadSome(fd, ignored, deadline, stopping_)) ignored.clear();
    return;
  }
  std::string response = absl::StrCat(
      "HTTP/1.1 ", reply.status, " ", ReasonPhrase(reply.status),
      "\r\nContent-Length: ", reply.body.size(), "\r\nConnection: close\r\n");
  for (const auto& [name, value] : reply.headers) {
    absl::StrAppend(&response, name, ": ", value, "\r\n");
  }
  absl::StrAppend(&response, "\r\n", reply.body);
  WriteAll(fd, response, deadline, stopping_);
}

absl::StatusOr<std::unique_ptr<RefusingLoopbackPort>>
RefusingLoopbackPort::Reserve() {
  absl::StatusOr<std::pair<int, int>> bound = BindLoopback();
  if (!bound.ok()) return bound.status();
  return std::unique_ptr<RefusingLoopbackPort>(
      new RefusingLoopbackPort(bound->first, bound->second));
}

RefusingLoopbackPort::~RefusingLoopbackPort() { close(fd_); }

}  // namespace convene::testing_util
