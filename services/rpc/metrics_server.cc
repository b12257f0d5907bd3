#include "rpc/metrics_server.h"

#include <httplib.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace convene::rpc {

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(const std::string& listen,
                                                                    const Metrics& metrics) {
  const size_t colon = listen.rfind(':');
  int port = -1;
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen must be HOST:PORT, not \"", listen, "\""));
  }
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  std::unique_ptr<MetricsServer> server(new MetricsServer());
  server->http_ = std::make_unique<httplib::Server>();
  // Scrapes are rare and small: two threads are plenty.
  server->http_->new_task_queue = [] { return new httplib::ThreadPool(2); };
  server->http_->Get("/metrics", [&metrics](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics.Render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  const int bound = port == 0 ? server->http_->bind_to_any_port(host)
                              : (server->http_->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on --metrics_listen=", listen,
                                               " (address in use, or not a local address?)"));
  }
  server->host_ = listen.substr(0, colon);
  server->port_ = bound;
  httplib::Server* http = server->http_.get();
  server->thread_ = std::thread([http] { http->listen_after_bind(); });
  // stop() before the loop runs would be lost, and the destructor's join
  // would wait forever.
  for (int i = 0; i < 2000 && !http->is_running(); ++i) absl::SleepFor(absl::Milliseconds(1));
  return server;
}

MetricsServer::~MetricsServer() {
  if (http_) http_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace convene::rpc
