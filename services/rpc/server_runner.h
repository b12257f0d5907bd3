// The server bootstrap shared by every Convene binary: listens, serves the
// given services with health checking, reflection and RPC logging, reports
// the port it chose, keeps health in step with a probe of the binary's
// backing store, and shuts down gracefully on SIGTERM/SIGINT.
//
// A binary's main():
//
//   int main(int argc, char** argv) {
//     namespace rpc = convene::rpc;
//     rpc::BlockShutdownSignals();  // Before anything starts a thread.
//     rpc::ParseServerFlags(argc, argv, "Serves convene.v1.CalendarService.");
//     rpc::ServerConfig config = rpc::ServerConfigFromFlags();
//     ... connect to Redis at config.redis, build the service ...
//     rpc::ServerOptions options;
//     options.name = "convene-calendar";
//     options.services = {&calendar_service};
//     options.health_service_names = {"convene.v1.CalendarService"};
//     options.health_probe = [&redis] { return redis.Ping(); };
//     auto runner = rpc::ServerRunner::Start(config, std::move(options));
//     if (!runner.ok()) { ... log runner.status(); return 1; }
//     (*runner)->Run();  // Returns once SIGTERM/SIGINT has drained it.
//     ... close Redis ...
//   }
#ifndef CONVENE_RPC_SERVER_RUNNER_H_
#define CONVENE_RPC_SERVER_RUNNER_H_

#include <grpcpp/impl/service_type.h>
#include <grpcpp/server.h>
#include <grpcpp/support/server_interceptor.h>

#include <atomic>
#include <functional>
#include <iostream>
#include <memory>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rpc/metrics.h"
#include "rpc/metrics_server.h"
#include "rpc/rpc_logging.h"
#include "rpc/server_config.h"

namespace convene::rpc {

// Blocks SIGTERM and SIGINT in the calling thread and so in every thread it
// starts afterwards, so that ServerRunner::Run() alone receives them. Call it
// first thing in main(), before anything (Redis clients, gRPC) starts a
// thread: a thread started earlier would still die on SIGTERM.
void BlockShutdownSignals();

// The health service name that reports whether writes are accepted.
inline constexpr char kWritesHealthName[] = "convene.writes";

// A part of a service with a health of its own (a background follower that
// may fall behind), reported under `name` while the server itself is
// healthy: NOT_SERVING while `probe` fails. Called from the health thread
// every interval, so it must return within a bounded time.
struct ComponentHealth {
  std::string name;
  std::function<absl::Status()> probe;
};

// What to serve; everything else comes from ServerConfig.
struct ServerOptions {
  // Program name: "convene-calendar" announces "convene-calendar listening
  // on 127.0.0.1:PORT" on stdout.
  std::string name;
  // Services to register (sync or callback); not owned, and they must
  // outlive the ServerRunner.
  std::vector<grpc::Service*> services;
  // Fully qualified names whose health ServerRunner keeps up to date, e.g.
  // "convene.v1.CalendarService". The overall status ("") follows too.
  std::vector<std::string> health_service_names;
  // Returns OK while the server can do its job (the binaries PING Redis).
  // Called from one background thread every `health_probe_interval`, so it
  // must return within a bounded time. Unset means always healthy.
  absl::AnyInvocable<absl::Status()> health_probe;
  // Whether writes are accepted, reported under kWritesHealthName only: a
  // server whose Redis refuses writes (out of memory) still serves reads,
  // so the overall status stays SERVING while "convene.writes" reads
  // NOT_SERVING. Called after health_probe succeeds; unset means writes
  // follow health_probe.
  absl::AnyInvocable<absl::Status()> writes_probe;
  // Further names with a health of their own; the overall status does not
  // follow them.
  std::vector<ComponentHealth> component_health;
  absl::Duration health_probe_interval = absl::Milliseconds(500);
  // Whether Run() returns on SIGTERM/SIGINT; requires BlockShutdownSignals().
  // Tests turn it off and call Stop().
  bool handle_shutdown_signals = true;
  // Further interceptors (e.g. authentication), run after the logging one.
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  // Ends the services' own long-lived streams (watchers) during shutdown, so
  // they do not hold it for the whole grace period. Called repeatedly while
  // the server drains; must be idempotent and quick.
  std::function<void()> close_streams;
  // Where RPC log lines go; empty means convene::core's info log.
  RpcLogSink rpc_log_sink;
  // Gauges the services report on --metrics_listen (rpc/metrics.h).
  std::vector<Gauge> gauges;
  // Where the "listening on" line goes; null to not print it.
  std::ostream* announce = &std::cout;
};

// A running gRPC server. Health checking (grpc.health.v1) and reflection
// (grpc.reflection.v1alpha) are always on. Every name in
// ServerOptions::health_service_names, and "", reads NOT_SERVING until the
// probe first succeeds, then follows the probe: NOT_SERVING while it fails,
// SERVING again once it recovers.
class ServerRunner {
 public:
  // Builds and starts the server on config.listen and announces the address.
  // Fails with InvalidArgument for a bad config, FailedPrecondition when
  // handle_shutdown_signals is set but BlockShutdownSignals() was not called,
  // and Unavailable when the address cannot be bound (including a port in
  // use, unless config.reuse_port).
  static absl::StatusOr<std::unique_ptr<ServerRunner>> Start(
      ServerConfig config, ServerOptions options);

  ServerRunner(const ServerRunner&) = delete;
  ServerRunner& operator=(const ServerRunner&) = delete;

  // Stops the server (see Stop()) if it is still running.
  ~ServerRunner();

  // Blocks until SIGTERM or SIGINT arrives (when handle_shutdown_signals) or
  // Stop() is called, then shuts down like Stop() and returns: the caller
  // may then release what the services use. Returns at once if the server
  // is already stopped.
  void Run();

  // Shuts down gracefully and waits until done: health turns NOT_SERVING,
  // no new RPCs are accepted, in-flight RPCs get config.shutdown_grace to
  // finish and are cancelled after that, the probe stops, and Run() returns.
  // Health Watch and reflection streams do not count as in flight: they are
  // cancelled as soon as nothing else runs. Long-lived streams of the
  // services themselves do count; they should end on their own when the
  // server shuts down, or they hold it for the whole grace period.
  // Thread-safe and idempotent; never call it from inside an RPC handler or
  // reactor (it waits for those to finish).
  void Stop();

  // The port the server listens on: the one gRPC picked when config.listen
  // asked for port 0. Zero for a unix socket.
  int port() const { return port_; }

  // The address clients can dial: config.listen with the chosen port, e.g.
  // "127.0.0.1:43125".
  const std::string& address() const { return address_; }

  // The health-only port (config.health_listen), 0 when there is none.
  int health_port() const { return health_port_; }

  // The metrics port (config.metrics_listen), 0 when there is none.
  int metrics_port() const { return metrics_server_ ? metrics_server_->port() : 0; }

 private:
  ServerRunner(ServerConfig config, ServerOptions options);

  absl::Status Init();
  void MonitorHealth();
  void SetHealth(bool serving);
  void SetWritesHealth(bool serving);
  void SetNamedHealth(const std::string& name, bool serving);

  const ServerConfig config_;
  ServerOptions options_;
  std::unique_ptr<grpc::Server> server_;
  // The plaintext health-only server, when config.health_listen asks.
  std::unique_ptr<grpc::Server> health_server_;
  int health_port_ = 0;
  // What --metrics_listen serves, when asked; every RPC is recorded in it.
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<MetricsServer> metrics_server_;
  int port_ = 0;
  std::string address_;
  int wake_fd_ = -1;    // eventfd: written by Stop() to wake Run().
  int signal_fd_ = -1;  // signalfd for SIGTERM/SIGINT, or -1.
  std::thread monitor_;
  // How many RPCs shutdown must still let finish (see server_runner.cc).
  const std::shared_ptr<std::atomic<int>> drainable_rpcs_ =
      std::make_shared<std::atomic<int>>(0);

  absl::Mutex monitor_mu_;
  bool monitor_stop_ ABSL_GUARDED_BY(monitor_mu_) = false;

  // Held for the whole shutdown, so a concurrent Stop()/Run() waits for it.
  absl::Mutex shutdown_mu_;
  bool stopped_ ABSL_GUARDED_BY(shutdown_mu_) = false;
};

}  // namespace convene::rpc

#endif  // CONVENE_RPC_SERVER_RUNNER_H_
