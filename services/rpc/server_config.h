// Configuration shared by every Convene server binary, and the command-line
// flags that fill it in.
//
// The flags are defined once, in rpc/server_flags.cc, so every binary accepts
// the same ones: --listen, --redis, --log_rpcs, --shutdown_grace and
// --max_message_bytes. A binary's main() parses them with ParseServerFlags(),
// which also makes `--help` list them (Abseil's default --help shows only the
// flags defined in a file named like the binary; `--helpfull` shows all):
//
//   int main(int argc, char** argv) {
//     convene::rpc::ParseServerFlags(argc, argv,
//                                    "Serves convene.v1.CalendarService.");
//     convene::rpc::ServerConfig config =
//         convene::rpc::ServerConfigFromFlags();
//     ...
//   }
#ifndef CONVENE_RPC_SERVER_CONFIG_H_
#define CONVENE_RPC_SERVER_CONFIG_H_

#include <grpcpp/security/server_credentials.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/flags/declare.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

ABSL_DECLARE_FLAG(std::string, listen);
ABSL_DECLARE_FLAG(std::string, redis);
ABSL_DECLARE_FLAG(bool, log_rpcs);
ABSL_DECLARE_FLAG(absl::Duration, shutdown_grace);
ABSL_DECLARE_FLAG(int32_t, max_message_bytes);
ABSL_DECLARE_FLAG(bool, insecure);

namespace convene::rpc {

// What a server binary needs to know to serve; plain values, so tests build
// one directly instead of going through flags.
struct ServerConfig {
  // HOST:PORT to listen on ("[::1]:PORT" for IPv6, or "unix:/path"). Port 0
  // picks a free port; ServerRunner reports the chosen one.
  std::string listen = "127.0.0.1:50051";
  // Where the binary's Redis lives: "redis://HOST:PORT" or "unix:///path".
  // The rpc library does not use it; it travels here so every binary reads
  // it the same way.
  std::string redis = "redis://127.0.0.1:6379";
  // Write one log line per RPC (method, status code, latency).
  bool log_rpcs = true;
  // Serve without authentication or TLS (--insecure). ServerRunner itself
  // only reads `credentials`; the host turns these settings into them.
  bool insecure = true;
  // TLS: PEM files; a client CA bundle requires client certificates (mTLS).
  std::string tls_cert_file;
  std::string tls_key_file;
  std::string tls_client_ca_file;
  // Per-token rate limit (calls per second, 0: none) and burst.
  double rate_limit_per_second = 50;
  int rate_burst = 200;
  // Redis ACL user and where its password is (file, else the environment).
  std::string redis_user;
  std::string redis_password_file;
  // WAIT for this many replicas after every write (0: none).
  int redis_wait_replicas = 0;
  // HOST:PORT of a second, plaintext listener serving grpc.health.v1 only,
  // without authentication ("": none). Kubernetes' gRPC probes speak
  // neither TLS nor bearer tokens; this port answers them, mirroring the
  // main port's serving status, and serves nothing else.
  std::string health_listen;
  // HOST:PORT of a plain HTTP listener serving GET /metrics for Prometheus
  // ("": none; rpc/metrics.h says what it reports).
  std::string metrics_listen;
  // Transport credentials; null: grpc::InsecureServerCredentials().
  std::shared_ptr<grpc::ServerCredentials> credentials;
  // Largest message accepted or sent, in bytes.
  int max_message_bytes = 4 * 1024 * 1024;
  // The server's own cap on a unary call's run time, whatever the client's
  // deadline (0: none). Streams are not capped.
  absl::Duration max_call_duration = absl::Seconds(120);
  // A connection quiet for keepalive_time is pinged, and closed when the
  // ping is not answered within keepalive_timeout, ending its streams: a
  // watcher whose network vanished without a FIN would otherwise hold its
  // token's stream places for ever (0: no pings).
  absl::Duration keepalive_time = absl::Seconds(60);
  absl::Duration keepalive_timeout = absl::Seconds(20);
  // On shutdown, how long in-flight RPCs may run before they are cancelled.
  absl::Duration shutdown_grace = absl::Seconds(10);
  // Let another process bind the same port (SO_REUSEPORT). Off by default so
  // that starting a second server on a busy port fails loudly instead of
  // silently sharing its traffic.
  bool reuse_port = false;
};

// Returns a ServerConfig filled in from the flags above. Call after the
// command line has been parsed (ParseServerFlags or absl::ParseCommandLine).
ServerConfig ServerConfigFromFlags();

// Sets `usage` as the program's usage message (printed after
// "<program>: ", so it need not repeat the name), makes `--help` list the
// shared server flags together with those defined in the binary's own
// main.cc (or <binary>.cc), and parses the command line. Exits the process
// on --help or a bad flag, like absl::ParseCommandLine. Call once, at the top
// of main(). Returns the positional arguments, argv[0] first.
std::vector<char*> ParseServerFlags(int argc, char** argv,
                                    absl::string_view usage);

}  // namespace convene::rpc

#endif  // CONVENE_RPC_SERVER_CONFIG_H_
