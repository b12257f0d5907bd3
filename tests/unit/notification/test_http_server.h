// TestHttpServer: a tiny HTTP/1.1 server on 127.0.0.1 (an ephemeral port) for
// tests of HTTP clients. One thread answers one connection at a time with the
// next scripted reply (the last reply repeats), records every request, and
// closes the connection. It stops when destroyed, and by itself after a
// bounded lifetime or number of connections, so a broken test cannot hang.
//
//   using Reply = TestHttpServer::Reply;
//   auto server =
//       TestHttpServer::Start({Reply::Answer(503), Reply::Answer(200)});
//   ASSERT_TRUE(server.ok()) << server.status();
//   Post((*server)->Url("/hook"));
//   std::vector<TestHttpServer::Request> seen = (*server)->Requests();
//
// Supports what a simple client sends: Content-Length bodies (no chunked
// encoding), "Expect: 100-continue", one request per connection.

#ifndef CONVENE_TESTS_UNIT_NOTIFICATION_TEST_HTTP_SERVER_H_
#define CONVENE_TESTS_UNIT_NOTIFICATION_TEST_HTTP_SERVER_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace convene::testing_util {

class TestHttpServer {
 public:
  // How to answer one connection.
  struct Reply {
    int status = 200;
    std::vector<std::pair<std::string, std::string>> headers;  // extra ones
    std::string body;
    // Read the request, then say nothing until the client hangs up (or the
    // server's io_timeout passes): an endpoint that never answers.
    bool never_answer = false;

    // (Designated initializers would trip -Wmissing-field-initializers.)
    static Reply Answer(
        int status,
        std::vector<std::pair<std::string, std::string>> headers = {},
        std::string body = "") {
      Reply reply;
      reply.status = status;
      reply.headers = std::move(headers);
      reply.body = std::move(body);
      return reply;
    }
    static Reply Silence() {
      Reply reply;
      reply.never_answer = true;
      return reply;
    }
  };

  // One request as received.
  struct Request {
    std::string method;
    std::string target;                          // e.g. "/hook?x=1"
    std::map<std::string, std::string> headers;  // names in lower case
    std::string body;
  };

  // Bounds that make the server stop by itself.
  struct Limits {
    absl::Duration lifetime = absl::Seconds(60);
    int max_connections = 100;
    // Per connection: the longest it may take to read a request or write a
    // reply, and the longest a never_answer connection is held.
    absl::Duration io_timeout = absl::Seconds(10);
  };

  // Listens on 127.0.0.1:0 and starts serving `script` (which must not be
  // empty) on a thread of its own.
  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start(
      std::vector<Reply> script, Limits limits);
  static absl::StatusOr<std::unique_ptr<TestHttpServer>> Start(
      std::vector<Reply> script) {
    return Start(std::move(script), Limits());
  }

  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  // Stops serving and joins the thread (within about 50 ms).
  ~TestHttpServer();

  int port() const { return port_; }

  // "http://127.0.0.1:<port><path>".
  std::string Url(absl::string_view path = "/hook") const;

  // The requests received so far, in order. Thread-safe.
  std::vector<Request> Requests() const;

  // Waits until at least `count` requests were received; false if `timeout`
  // passed first.
  bool WaitForRequests(int count, absl::Duration timeout) const;

 private:
  TestHttpServer(int listen_fd, int port, std::vector<Reply> script,
                 Limits limits);

  void Serve();
  void ServeConnection(int fd, const Reply& reply);

  const int listen_fd_;
  const int port_;
  const std::vector<Reply> script_;
  const Limits limits_;
  std::atomic<bool> stopping_{false};

  mutable absl::Mutex mu_;
  std::vector<Request> requests_ ABSL_GUARDED_BY(mu_);

  std::thread thread_;  // last: starts after everything above exists
};

// A loopback TCP port that refuses connections: a socket bound to
// 127.0.0.1:<port> that never listens. Held open, so no other process can
// start listening there meanwhile.
class RefusingLoopbackPort {
 public:
  static absl::StatusOr<std::unique_ptr<RefusingLoopbackPort>> Reserve();

  RefusingLoopbackPort(const RefusingLoopbackPort&) = delete;
  RefusingLoopbackPort& operator=(const RefusingLoopbackPort&) = delete;
  ~RefusingLoopbackPort();

  int port() const { return port_; }

 private:
  RefusingLoopbackPort(int fd, int port) : fd_(fd), port_(port) {}

  const int fd_;
  const int port_;
};

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_UNIT_NOTIFICATION_TEST_HTTP_SERVER_H_
