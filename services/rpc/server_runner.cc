#include "rpc/server_runner.h"

#include <errno.h>
#include <grpc/grpc.h>
#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "core/log.h"
#include "rpc/call_time_limit.h"

namespace convene::rpc {
namespace {

sigset_t ShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  return signals;
}

bool ShutdownSignalsBlocked() {
  sigset_t blocked;
  sigemptyset(&blocked);
  pthread_sigmask(SIG_BLOCK, nullptr, &blocked);
  return sigismember(&blocked, SIGTERM) == 1 &&
         sigismember(&blocked, SIGINT) == 1;
}

std::string ErrnoMessage(absl::string_view what) {
  return absl::StrCat(what, ": ", std::strerror(errno));
}

// Counts the RPCs a graceful shutdown must wait for: all but the
// long-lived streams every server carries (health Watch, reflection), which
// would otherwise hold shutdown open for the whole grace period.
class DrainableRpcCounter final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  // Shared: interceptors may outlive the factory, and the runner reads it.
  explicit DrainableRpcCounter(std::shared_ptr<std::atomic<int>> count)
      : count_(std::move(count)) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    absl::string_view method =
        info->method() != nullptr ? info->method() : absl::string_view();
    if (method == "/grpc.health.v1.Health/Watch" ||
        absl::StartsWith(method, "/grpc.reflection.")) {
      return nullptr;  // Not counted; gRPC skips a null interceptor.
    }
    return new Counted(count_);
  }

 private:
  // Counts from creation to destruction, which comes after the call has
  // completed (its status sent), not merely after the handler finished.
  class Counted final : public grpc::experimental::Interceptor {
   public:
    explicit Counted(std::shared_ptr<std::atomic<int>> count)
        : count_(std::move(count)) {
      count_->fetch_add(1);
    }
    ~Counted() override { count_->fetch_sub(1); }
    void Intercept(
        grpc::experimental::InterceptorBatchMethods* methods) override {
      methods->Proceed();
    }

   private:
    const std::shared_ptr<std::atomic<int>> count_;
  };

  const std::shared_ptr<std::atomic<int>> count_;
};

absl::Status Validate(const ServerConfig& config,
                      const ServerOptions& options) {
  if (options.name.empty()) {
    return absl::InvalidArgumentError("ServerOptions::name is empty");
  }
  if (config.listen.empty() ||
      (!absl::StartsWith(config.listen, "unix:") &&
       config.listen.rfind(':') == std::string::npos)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--listen must be HOST:PORT or unix:PATH, not \"",
                     config.listen, "\""));
  }
  if (config.max_message_bytes <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--max_message_bytes must be positive, not ",
                     config.max_message_bytes));
  }
  // Bounded so that now + grace cannot overflow the clock.
  if (config.shutdown_grace < absl::ZeroDuration() ||
      config.shutdown_grace > absl::Hours(24)) {
    return absl::InvalidArgumentError(
        "--shutdown_grace must be between 0 and 24h");
  }
  if (options.health_probe_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "ServerOptions::health_probe_interval must be positive");
  }
  if (config.credentials == nullptr && !config.insecure) {
    return absl::InvalidArgumentError(
        "no server credentials configured and insecure serving is off");
  }
  for (const grpc::Service* service : options.services) {
    if (service == nullptr) {
      return absl::InvalidArgumentError("ServerOptions::services holds null");
    }
  }
  return absl::OkStatus();
}

}  // namespace

void BlockShutdownSignals() {
  sigset_t signals = ShutdownSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

absl::StatusOr<std::unique_ptr<ServerRunner>> ServerRunner::Start(
    ServerConfig config, ServerOptions options) {
  if (absl::Status valid = Validate(config, options); !valid.ok()) {
    return valid;
  }
  // Not make_unique: the constructor is private.
  std::unique_ptr<ServerRunner> runner(
      new ServerRunner(std::move(config), std::move(options)));
  if (absl::Status started = runner->Init(); !started.ok()) return started;
  return runner;
}

ServerRunner::ServerRunner(ServerConfig config, ServerOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

ServerRunner::~ServerRunner() {
  if (server_ != nullptr) Stop();
  if (wake_fd_ >= 0) close(wake_fd_);
  if (signal_fd_ >= 0) close(signal_fd_);
}

absl::Status ServerRunner::Init() {
  wake_fd_ = eventfd(0, EFD_CLOEXEC);
  if (wake_fd_ < 0) return absl::InternalError(ErrnoMessage("eventfd"));
  if (options_.handle_shutdown_signals) {
    // With the signals blocked everywhere, a signalfd turns them into plain
    // reads: no handler and no async-signal-safety constraints.
    if (!ShutdownSignalsBlocked()) {
      return absl::FailedPreconditionError(
          "SIGTERM/SIGINT are not blocked: call "
          "convene::rpc::BlockShutdownSignals() at the top of main()");
    }
    sigset_t signals = ShutdownSignals();
    signal_fd_ = signalfd(-1, &signals, SFD_CLOEXEC);
    if (signal_fd_ < 0) return absl::InternalError(ErrnoMessage("signalfd"));
  }

  // Both are process-wide switches read when a builder is created.
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();

  grpc::ServerBuilder builder;
  std::shared_ptr<grpc::ServerCredentials> credentials =
      config_.credentials != nullptr ? config_.credentials
                                     : grpc::InsecureServerCredentials();
  int selected_port = 0;
  builder.AddListeningPort(config_.listen, credentials, &selected_port);
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT,
                             config_.reuse_port ? 1 : 0);
  builder.SetMaxReceiveMessageSize(config_.max_message_bytes);
  builder.SetMaxSendMessageSize(config_.max_message_bytes);
  if (config_.keepalive_time > absl::ZeroDuration() &&
      config_.keepalive_timeout > absl::ZeroDuration()) {
    auto ms = [](absl::Duration d) {
      return static_cast<int>(std::min<int64_t>(absl::ToInt64Milliseconds(d), INT_MAX));
    };
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, ms(config_.keepalive_time));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, ms(config_.keepalive_timeout));
    // An idle watch sends no data; gRPC would otherwise stop pinging after
    // two pings without any.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  }
  // Clients (ConveneClient) ping quiet connections too: accept pings as
  // often as every 10 s, or as this server pings when that is more often,
  // instead of answering them with GOAWAY.
  absl::Duration min_ping = absl::Seconds(10);
  if (config_.keepalive_time > absl::ZeroDuration()) {
    min_ping = std::min(min_ping, config_.keepalive_time);
  }
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(min_ping)));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  for (grpc::Service* service : options_.services) {
    builder.RegisterService(service);
  }

  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(
      std::make_unique<DrainableRpcCounter>(drainable_rpcs_));
  // Before the caller's, so that it times and logs the RPC as the client
  // sees it.
  if (config_.max_call_duration > absl::ZeroDuration()) {
    interceptors.push_back(MakeCallTimeLimitInterceptorFactory(config_.max_call_duration));
  }
  if (!config_.metrics_listen.empty()) metrics_ = std::make_unique<Metrics>();
  if (config_.log_rpcs || metrics_ != nullptr) {
    interceptors.push_back(MakeRpcObservingInterceptorFactory(
        config_.log_rpcs, options_.rpc_log_sink, metrics_.get()));
  }
  for (auto& interceptor : options_.interceptors) {
    interceptors.push_back(std::move(interceptor));
  }
  options_.interceptors.clear();
  builder.experimental().SetInterceptorCreators(std::move(interceptors));

  server_ = builder.BuildAndStart();
  bool unix_socket = absl::StartsWith(config_.listen, "unix:");
  if (server_ == nullptr || (!unix_socket && selected_port == 0)) {
    if (server_ != nullptr) {
      server_->Shutdown();
      server_.reset();
    }
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", config_.listen,
                     " (address in use, or not a local address?)"));
  }

  if (!config_.health_listen.empty()) {
    // A server of its own: no services, so it answers grpc.health.v1 (and
    // reflection, which lists only that) and UNIMPLEMENTED to everything
    // else; plaintext and without the authenticator, for kubelet.
    grpc::ServerBuilder health_builder;
    health_builder.AddListeningPort(config_.health_listen,
                                    grpc::InsecureServerCredentials(), &health_port_);
    health_builder.SetMaxReceiveMessageSize(64 * 1024);
    health_server_ = health_builder.BuildAndStart();
    if (health_server_ == nullptr || health_port_ == 0) {
      server_->Shutdown();
      server_.reset();
      health_server_.reset();
      return absl::UnavailableError(absl::StrCat(
          "cannot listen on --health_listen=", config_.health_listen,
          " (address in use, or not a local address?)"));
    }
  }

  if (metrics_ != nullptr) {
    for (Gauge& g : options_.gauges) metrics_->AddGauge(std::move(g));
    options_.gauges.clear();
    absl::StatusOr<std::unique_ptr<MetricsServer>> metrics =
        MetricsServer::Start(config_.metrics_listen, *metrics_);
    if (!metrics.ok()) {
      server_->Shutdown();
      server_.reset();
      if (health_server_ != nullptr) health_server_->Shutdown();
      health_server_.reset();
      return metrics.status();
    }
    metrics_server_ = *std::move(metrics);
  }

  // The default health service starts with "" SERVING (for the moment since
  // BuildAndStart); nothing is, until the probe has said so.
  SetHealth(false);
  SetWritesHealth(false);

  if (unix_socket) {
    address_ = config_.listen;
  } else {
    port_ = selected_port;
    std::string host = config_.listen.substr(0, config_.listen.rfind(':'));
    address_ = absl::StrCat(host, ":", port_);
  }
  if (options_.announce != nullptr) {
    if (health_server_ != nullptr) {
      *options_.announce << options_.name << " health on "
                         << config_.health_listen.substr(0, config_.health_listen.rfind(':'))
                         << ":" << health_port_ << "\n";
    }
    if (metrics_server_ != nullptr) {
      *options_.announce << options_.name << " metrics on " << metrics_server_->host() << ":"
                         << metrics_server_->port() << "\n";
    }
    *options_.announce << options_.name << " listening on "
                       << address_ << std::endl;  // Flushes: scripts wait.
  }

  monitor_ = std::thread([this] { MonitorHealth(); });
  return absl::OkStatus();
}

void ServerRunner::SetHealth(bool serving) {
  if (metrics_ != nullptr) {
    metrics_->SetServing("", serving);
    for (const std::string& name : options_.health_service_names) {
      metrics_->SetServing(name, serving);
    }
  }
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    grpc::HealthCheckServiceInterface* health =
        server == nullptr ? nullptr : server->GetHealthCheckService();
    if (health == nullptr) continue;
    health->SetServingStatus("", serving);
    for (const std::string& name : options_.health_service_names) {
      health->SetServingStatus(name, serving);
    }
  }
}

void ServerRunner::SetWritesHealth(bool serving) { SetNamedHealth(kWritesHealthName, serving); }

void ServerRunner::SetNamedHealth(const std::string& name, bool serving) {
  if (metrics_ != nullptr) metrics_->SetServing(name, serving);
  for (grpc::Server* server : {server_.get(), health_server_.get()}) {
    grpc::HealthCheckServiceInterface* health =
        server == nullptr ? nullptr : server->GetHealthCheckService();
    if (health != nullptr) health->SetServingStatus(name, serving);
  }
}

void ServerRunner::MonitorHealth() {
  std::optional<bool> serving;
  std::optional<bool> writing;
  std::vector<std::optional<bool>> components(options_.component_health.size());
  while (true) {
    absl::Status probe =
        options_.health_probe ? options_.health_probe() : absl::OkStatus();
    const absl::Status writes =
        probe.ok() && options_.writes_probe ? options_.writes_probe() : probe;
    {
      // Shutting down: health is frozen at NOT_SERVING, and a late
      // "SERVING" line would only confuse whoever reads the log.
      absl::MutexLock lock(&monitor_mu_);
      if (monitor_stop_) return;
    }
    // Only transitions are applied and logged: watchers see one update and
    // a long outage logs one line, not one every interval.
    if (serving != probe.ok()) {
      SetHealth(probe.ok());
      if (probe.ok()) {
        core::LogInfo(
            absl::StrCat(options_.name, " health: SERVING"));
      } else {
        core::LogWarn(absl::StrCat(options_.name,
                                   " health: NOT_SERVING: ", probe.ToString()));
      }
      serving = probe.ok();
    }
    if (writing != writes.ok()) {
      SetWritesHealth(writes.ok());
      // Reads go on when only writes fail: say so once, not every interval.
      if (writes.ok()) {
        core::LogInfo(absl::StrCat(options_.name, " health: ", kWritesHealthName, " SERVING"));
      } else if (probe.ok()) {
        core::LogWarn(absl::StrCat(options_.name, " health: ", kWritesHealthName,
                                   " NOT_SERVING (reads go on): ", writes.message()));
      }
      writing = writes.ok();
    }
    for (size_t i = 0; i < components.size(); ++i) {
      const ComponentHealth& c = options_.component_health[i];
      const absl::Status status = probe.ok() ? c.probe() : probe;
      if (components[i] == status.ok()) continue;
      SetNamedHealth(c.name, status.ok());
      if (status.ok()) {
        core::LogInfo(absl::StrCat(options_.name, " health: ", c.name, " SERVING"));
      } else if (probe.ok()) {
        core::LogWarn(absl::StrCat(options_.name, " health: ", c.name,
                                   " NOT_SERVING: ", status.message()));
      }
      components[i] = status.ok();
    }
    absl::MutexLock lock(&monitor_mu_);
    if (monitor_mu_.AwaitWithTimeout(absl::Condition(&monitor_stop_),
                                     options_.health_probe_interval)) {
      return;
    }
  }
}

void ServerRunner::Run() {
  pollfd fds[2] = {{wake_fd_, POLLIN, 0}, {signal_fd_, POLLIN, 0}};
  nfds_t count = signal_fd_ >= 0 ? 2 : 1;
  while (true) {
    int ready = poll(fds, count, /*timeout=*/-1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      core::LogError(ErrnoMessage("poll for shutdown"));
      break;
    }
    if (fds[0].revents != 0) break;
    if (count == 2 && fds[1].revents != 0) {
      signalfd_siginfo info;
      if (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
        core::LogInfo(
            absl::StrCat(options_.name, " received ",
                         info.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM",
                         "; draining for up to ",
                         absl::FormatDuration(config_.shutdown_grace)));
      }
      break;
    }
  }
  Stop();
}

void ServerRunner::Stop() {
  // Wakes Run() whichever thread gets here first; the eventfd stays
  // readable, so a later Run() returns at once.
  uint64_t one = 1;
  if (write(wake_fd_, &one, sizeof(one)) < 0) {
    core::LogError(ErrnoMessage("wake Run()"));
  }

  absl::MutexLock lock(&shutdown_mu_);
  if (stopped_) return;
  {
    absl::MutexLock monitor_lock(&monitor_mu_);
    monitor_stop_ = true;
  }
  // Gauges read the services, which the caller may release once Run()
  // returns: no scrape after this.
  metrics_server_.reset();
  // Health first, so clients that watch it move away while we drain; it also
  // freezes the status, so the monitor cannot flip it back.
  if (grpc::HealthCheckServiceInterface* health =
          server_->GetHealthCheckService()) {
    health->Shutdown();
  }
  if (health_server_ != nullptr) {
    if (grpc::HealthCheckServiceInterface* health =
            health_server_->GetHealthCheckService()) {
      health->Shutdown();
    }
    // Health watchers there never end by themselves: no grace.
    health_server_->Shutdown(std::chrono::system_clock::now());
    health_server_->Wait();
  }
  // grpc::Server::Shutdown() stops accepting calls, waits for the running
  // ones until the deadline and cancels them then. Health watchers and
  // reflection streams never end by themselves, so once no other RPC is
  // left they are cancelled here instead of holding shutdown for the whole
  // grace period. (Cancelling drops every connection; harmless once the
  // server has stopped accepting calls, and before that only idle
  // connections exist when the count is zero: clients reconnect, to be
  // turned away.)
  absl::Notification server_stopped;
  std::thread shutdown([this, &server_stopped] {
    server_->Shutdown(std::chrono::system_clock::now() +
                      absl::ToChronoMilliseconds(config_.shutdown_grace));
    server_->Wait();
    server_stopped.Notify();
  });
  while (
      !server_stopped.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
    // Repeated: a stream may have begun just before Shutdown() took effect.
    if (options_.close_streams) options_.close_streams();
    if (drainable_rpcs_->load() == 0) {
      grpc_server_cancel_all_calls(server_->c_server());
    }
  }
  shutdown.join();
  monitor_.join();
  stopped_ = true;
  core::LogInfo(absl::StrCat(options_.name, " stopped"));
}

}  // namespace convene::rpc
