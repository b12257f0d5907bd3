// Defaults for starting a ServerRunner in tests: a free port on loopback, no
// signal handling, no announcement, and a generous grace period (the test
// machines are small and shared, so nothing here depends on tight timing).
#ifndef CONVENE_TESTS_INTEGRATION_RPC_TEST_SERVER_H_
#define CONVENE_TESTS_INTEGRATION_RPC_TEST_SERVER_H_

#include <grpcpp/client_context.h>

#include <chrono>

#include "absl/time/time.h"
#include "integration/rpc/test_echo_service.h"
#include "rpc/server_config.h"
#include "rpc/server_runner.h"

namespace convene::rpc::testing {

// Long enough for any test RPC on a loaded machine.
inline constexpr absl::Duration kTestTimeout = absl::Seconds(20);

inline ServerConfig TestServerConfig() {
  ServerConfig config;
  config.listen = "127.0.0.1:0";
  config.shutdown_grace = absl::Seconds(60);
  return config;
}

// Serves `service` with its name under health checking; RPC log lines are
// dropped unless a test sets options.rpc_log_sink.
inline ServerOptions TestServerOptions(TestEchoService* service) {
  ServerOptions options;
  options.name = "convene-test";
  options.services = {service};
  options.health_service_names = {kEchoServiceName};
  options.health_probe_interval = absl::Milliseconds(20);
  options.handle_shutdown_signals = false;
  options.rpc_log_sink = [](absl::string_view) {};
  options.announce = nullptr;
  return options;
}

inline void SetTestDeadline(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(kTestTimeout));
}

}  // namespace convene::rpc::testing

#endif  // CONVENE_TESTS_INTEGRATION_RPC_TEST_SERVER_H_
