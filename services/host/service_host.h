// The main() of every Convene binary: one process hosting one or more of the
// services on one gRPC server, over one Redis connection. It knows no
// service: each brings its own wiring as a ServiceFactory
// (calendar/calendar_service.h, ...), and each binary links only the
// services it serves.
//
//   int main(int argc, char** argv) {
//     return convene::host::RunServiceHost(
//         argc, argv, {.name = "convene-calendar", .usage = "Serves ..."},
//         {convene::calendar::CalendarServiceFactory()});
//   }
//
// The host parses the shared server flags (--listen, --redis, ...), starts
// the asynchronous Redis client (which keeps reconnecting on its own while
// Redis is away), builds each service on it, serves them with health checks
// that follow a PING of Redis, and on SIGTERM/SIGINT drains the server before
// it closes Redis.
#ifndef CONVENE_HOST_SERVICE_HOST_H_
#define CONVENE_HOST_SERVICE_HOST_H_

#include <grpcpp/impl/service_type.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/clock.h"
#include "rpc/server_runner.h"
#include "storage/redis_client.h"

namespace convene::host {

// What a service needs from the process hosting it.
struct ServiceContext {
  storage::RedisClient& redis;
  // For services that need connections of their own (blocking reads).
  const storage::RedisClientOptions& redis_options;
  const core::Clock& clock;
};

// One built service: the gRPC service (which may share ownership of what its
// handler uses through shared_ptr's aliasing constructor) and how to end its
// live streams at shutdown.
struct HostedService {
  std::shared_ptr<grpc::Service> service;
  std::function<void()> close_streams;
  // Parts with a health of their own (attendance's sheet follower).
  std::vector<rpc::ComponentHealth> component_health = {};
  // What it reports on --metrics_listen besides RPCs and health.
  std::vector<rpc::Gauge> gauges = {};
  // Only the calendar has one: OK when every id names an event, NOT_FOUND
  // naming `field`[i] and the first id that does not, another error when
  // it cannot tell. Blocking. The admin service checks a new token's event
  // scope with it, so that the calendar alone reads the calendar's keys.
  std::function<absl::Status(absl::string_view field, const std::vector<std::string>& ids)>
      events_exist = nullptr;
};

// Builds one service. `health_name` is its fully qualified gRPC name.
struct ServiceFactory {
  std::string health_name;
  std::function<absl::StatusOr<HostedService>(ServiceContext&)> make;
};

struct HostOptions {
  // Program name: "convene-calendar" announces "convene-calendar listening
  // on ...".
  std::string name;
  // First line of --help.
  std::string usage;
  // When set and it returns an exit code, the process runs it once Redis is
  // set up (flags parsed) and exits with that code instead of serving: the
  // notification service's --once.
  std::function<std::optional<int>(ServiceContext&)> instead_of_serving = nullptr;
};

// Process-wide settings for serving, before any thread starts: Abseil's
// mutex deadlock detection (a debugging aid that records every lock order
// in a global graph, about 2% of a busy server's CPU) is turned off. Tests
// keep it on. RunServiceHost calls it; so does convene-bench's in-process
// mode, which runs the binaries' own wiring.
void PrepareProcessForServing();

// Runs the process until SIGTERM/SIGINT; returns the exit code (0 after a
// clean shutdown, 1 when the server could not start).
int RunServiceHost(int argc, char** argv, const HostOptions& options,
                   std::vector<ServiceFactory> services);

}  // namespace convene::host

#endif  // CONVENE_HOST_SERVICE_HOST_H_
