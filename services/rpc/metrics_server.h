// MetricsServer: serves Metrics::Render() as GET /metrics over plain HTTP
// (cpp-httplib), on an address of its own (--metrics_listen), for Prometheus
// to scrape. Anything else is 404. It serves no API and holds no secret, but
// it does tell who calls what how often: bind it to loopback or a network
// only the monitoring reaches.
//
//   absl::StatusOr<std::unique_ptr<MetricsServer>> s =
//       MetricsServer::Start("127.0.0.1:0", metrics);
//   (*s)->port();  // the port chosen
#ifndef CONVENE_RPC_METRICS_SERVER_H_
#define CONVENE_RPC_METRICS_SERVER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "rpc/metrics.h"

namespace httplib {
class Server;
}

namespace convene::rpc {

class MetricsServer {
 public:
  // `listen` is HOST:PORT (port 0: any free one); `metrics` must outlive the
  // server. UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(const std::string& listen,
                                                              const Metrics& metrics);
  ~MetricsServer();

  int port() const { return port_; }
  const std::string& host() const { return host_; }

 private:
  MetricsServer() = default;

  std::unique_ptr<httplib::Server> http_;
  std::thread thread_;
  std::string host_;
  int port_ = 0;
};

}  // namespace convene::rpc

#endif  // CONVENE_RPC_METRICS_SERVER_H_
