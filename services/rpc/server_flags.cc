// The command-line flags shared by every Convene server binary. They live in
// this one file so that every binary has the same flags, and ParseServerFlags()
// points --help at this file by name: keep the name in sync with
// kServerFlagsFile below.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "rpc/server_config.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "HOST:PORT to serve gRPC on; port 0 picks a free port and the "
          "chosen one is printed on stdout.");
ABSL_FLAG(std::string, redis, "redis://127.0.0.1:6379",
          "Redis to use: redis://HOST:PORT, unix:///path/to/redis.sock, or "
          "redis-sentinel://HOST:PORT,HOST:PORT/MASTER_NAME.");
ABSL_FLAG(bool, log_rpcs, true,
          "Log one line per RPC: method, status code and latency.");
ABSL_FLAG(absl::Duration, shutdown_grace, absl::Seconds(10),
          "On SIGTERM/SIGINT, how long in-flight RPCs may finish before they "
          "are cancelled (e.g. 10s, 500ms).");
ABSL_FLAG(int32_t, max_message_bytes, 4 * 1024 * 1024,
          "Largest gRPC message received or sent, in bytes.");
ABSL_FLAG(absl::Duration, max_call_duration, absl::Seconds(120),
          "The server's cap on how long a unary call may run, whatever the "
          "client's deadline (0: none); streams are not capped.");
ABSL_FLAG(absl::Duration, keepalive_time, absl::Seconds(60),
          "Ping a connection quiet for this long (0: never), so that the "
          "streams of a client that vanished without closing its connection "
          "end instead of holding the token's stream places.");
ABSL_FLAG(absl::Duration, keepalive_timeout, absl::Seconds(20),
          "Close a connection whose keepalive ping is not answered within this.");
ABSL_FLAG(std::string, health_listen, "",
          "HOST:PORT of a plaintext port serving only grpc.health.v1, without "
          "authentication, for Kubernetes probes (empty: none).");
ABSL_FLAG(std::string, metrics_listen, "",
          "HOST:PORT of a plain HTTP port serving GET /metrics for Prometheus: RPC "
          "counts and latencies, health, and each service's gauges such as "
          "attendance's sheet lag (empty: none). Bind it to loopback or a "
          "monitoring-only network.");
ABSL_FLAG(bool, insecure, false,
          "Serve WITHOUT authentication or TLS: every caller may do everything. "
          "For local development only; logged loudly at start.");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain of the server; with --tls_key_file, serve TLS. "
          "Without TLS, authenticated servers accept loopback and unix-socket "
          "clients only.");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file.");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle: require and verify client certificates (mTLS).");
ABSL_FLAG(double, rate_limit, 50,
          "Calls per second each token may make on average (0: no limit); "
          "over it, RESOURCE_EXHAUSTED.");
ABSL_FLAG(int32_t, rate_burst, 200, "Calls a token may make at once above --rate_limit.");
ABSL_FLAG(std::string, redis_user, "", "Redis ACL user (the password comes from "
          "--redis_password_file or $CONVENE_REDIS_PASSWORD, never the command line).");
ABSL_FLAG(int32_t, redis_wait_replicas, 0,
          "After every write, WAIT until this many Redis replicas have it "
          "(0: do not wait); set it with Sentinel so that a failover keeps "
          "every acknowledged write.");
ABSL_FLAG(std::string, redis_password_file, "",
          "File holding the Redis password (first line); else $CONVENE_REDIS_PASSWORD.");

namespace convene::rpc {
namespace {

constexpr absl::string_view kServerFlagsFile = "rpc/server_flags.cc";

absl::string_view Basename(absl::string_view path) {
  size_t slash = path.find_last_of('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

// Shows build paths relative to the source tree
// ("services/rpc/server_flags.cc") rather than wherever the build machine kept
// its checkout.
std::string NormalizeFilename(absl::string_view path) {
  size_t services = path.rfind("services/");
  if (services != absl::string_view::npos)
    return std::string(path.substr(services));
  while (absl::ConsumePrefix(&path, "/")) {
  }
  return std::string(path);
}

}  // namespace

ServerConfig ServerConfigFromFlags() {
  ServerConfig config;
  config.listen = absl::GetFlag(FLAGS_listen);
  config.redis = absl::GetFlag(FLAGS_redis);
  config.log_rpcs = absl::GetFlag(FLAGS_log_rpcs);
  config.shutdown_grace = absl::GetFlag(FLAGS_shutdown_grace);
  config.max_message_bytes = absl::GetFlag(FLAGS_max_message_bytes);
  config.insecure = absl::GetFlag(FLAGS_insecure);
  config.health_listen = absl::GetFlag(FLAGS_health_listen);
  config.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  config.max_call_duration = absl::GetFlag(FLAGS_max_call_duration);
  config.keepalive_time = absl::GetFlag(FLAGS_keepalive_time);
  config.keepalive_timeout = absl::GetFlag(FLAGS_keepalive_timeout);
  config.tls_cert_file = absl::GetFlag(FLAGS_tls_cert_file);
  config.tls_key_file = absl::GetFlag(FLAGS_tls_key_file);
  config.tls_client_ca_file = absl::GetFlag(FLAGS_tls_client_ca_file);
  config.rate_limit_per_second = absl::GetFlag(FLAGS_rate_limit);
  config.rate_burst = absl::GetFlag(FLAGS_rate_burst);
  config.redis_user = absl::GetFlag(FLAGS_redis_user);
  config.redis_password_file = absl::GetFlag(FLAGS_redis_password_file);
  config.redis_wait_replicas = absl::GetFlag(FLAGS_redis_wait_replicas);
  return config;
}

std::vector<char*> ParseServerFlags(int argc, char** argv,
                                    absl::string_view usage) {
  std::string program(argc > 0 ? Basename(argv[0]) : absl::string_view());
  // Abseil's own rule accepts <program>.cc, <program>-main.cc and
  // <program>_main.cc; Convene keeps a binary's flags in its main.cc, and the
  // shared ones here.
  auto is_ours = [program](absl::string_view filename) {
    if (absl::EndsWith(filename, kServerFlagsFile)) return true;
    absl::string_view base = Basename(filename);
    if (base == "main.cc") return true;
    if (program.empty() || !absl::ConsumePrefix(&base, program)) return false;
    return absl::StartsWith(base, ".") || absl::StartsWith(base, "-main.") ||
           absl::StartsWith(base, "_main.");
  };
  absl::FlagsUsageConfig config;
  config.contains_helpshort_flags = is_ours;
  config.contains_help_flags = is_ours;
  config.contains_helppackage_flags = is_ours;
  config.normalize_filename = NormalizeFilename;
  absl::SetFlagsUsageConfig(std::move(config));
  absl::SetProgramUsageMessage(usage);
  return absl::ParseCommandLine(argc, argv);
}

}  // namespace convene::rpc
