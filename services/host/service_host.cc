#include "host/service_host.h"

#include <grpcpp/security/server_credentials.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "auth/admin_handler.h"
#include "auth/token_authenticator.h"
#include "auth/token_store.h"
#include "core/blocking_call.h"
#include "core/log.h"
#include "core/tzdata_version.h"
#include "core/zoneinfo_directory.h"
#include "rpc/server_config.h"
#include "rpc/server_runner.h"
#include "rpc/worker_pool.h"
#include "storage/keys.h"
#include "storage/redis_address.h"
#include "storage/redis_sync_client.h"
#include "storage/tzdata_version_store.h"

namespace convene::host {

namespace {

// The Redis password from --redis_password_file, else the environment:
// never from the command line, where every user of the machine can read it.
absl::Status ReadRedisCredentials(const rpc::ServerConfig& config,
                                  storage::RedisClientOptions& options) {
  options.username = config.redis_user;
  if (!config.redis_password_file.empty()) {
    std::ifstream file(config.redis_password_file);
    if (!file || !std::getline(file, options.password)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--redis_password_file: cannot read ", config.redis_password_file));
    }
    return absl::OkStatus();
  }
  if (const char* password = std::getenv("CONVENE_REDIS_PASSWORD")) {
    options.password = password;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadFile(const std::string& path, absl::string_view flag) {
  std::ifstream file(path);
  std::stringstream text;
  if (!file || !(text << file.rdbuf())) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  }
  return text.str();
}

// TLS when a certificate is given (mTLS with a client CA); else local
// credentials, which serve loopback and unix-socket clients only, so that
// bearer tokens never cross a network in the clear.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(
    const rpc::ServerConfig& config) {
  if (config.tls_cert_file.empty() != config.tls_key_file.empty()) {
    return absl::InvalidArgumentError("--tls_cert_file and --tls_key_file go together");
  }
  if (config.tls_cert_file.empty()) {
    if (!config.tls_client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls_client_ca_file needs --tls_cert_file");
    }
    return grpc::experimental::LocalServerCredentials(
        absl::StartsWith(config.listen, "unix:") ? UDS : LOCAL_TCP);
  }
  absl::StatusOr<std::string> cert = ReadFile(config.tls_cert_file, "--tls_cert_file");
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadFile(config.tls_key_file, "--tls_key_file");
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (!config.tls_client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadFile(config.tls_client_ca_file, "--tls_client_ca_file");
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// Every service resolves zones (instants of events, reminder times) with the
// rules of its machine or CONVENE_TZDIR, while the stored instants were
// derived with the version recorded in Redis. When they differ, a tz
// database change has not been applied to the stored events yet: say so,
// and what to do. Retiming is not started from here: every replica would
// race to do it, each with its own machine's rules. Only a CONVENE_TZDIR
// naming no directory stops the process; Redis trouble only skips the check.
absl::Status CheckZoneRules(const std::string& program, storage::RedisClient& redis,
                            const std::string& redis_flag) {
  absl::StatusOr<const core::ZoneinfoDirectory*> root =
      core::ConfiguredZoneinfoDirectory();
  if (!root.ok()) return root.status();
  const std::string version = core::TzdataVersion();
  if (*root != nullptr) {
    core::LogInfo(absl::StrCat(program, ": zone rules: tzdata ", version, " from ",
                               core::kZoneinfoDirectoryVariable, "=", (*root)->root(),
                               ", other zones from /usr/share/zoneinfo"));
  }
  storage::TzdataVersionStore versions(redis);
  absl::StatusOr<std::optional<std::string>> recorded =
      core::BlockingCall<std::optional<std::string>>(
          [&](auto done) { versions.Get(std::move(done)); }, absl::Seconds(2));
  absl::Status problem = recorded.status();
  if (recorded.ok() && !recorded->has_value()) {
    // A new deployment: its instants are being derived with these rules.
    problem = core::BlockingCall<bool>(
                  [&](auto done) { versions.SetIfAbsent(version, std::move(done)); },
                  absl::Seconds(2))
                  .status();
    if (problem.ok()) return absl::OkStatus();
  }
  if (!problem.ok()) {
    core::LogWarn(absl::StrCat(program, ": could not compare tzdata ", version,
                               " with the version recorded in Redis: ",
                               problem.message()));
    return absl::OkStatus();
  }
  if (**recorded != version) {
    core::LogWarn(absl::StrCat(
        program, ": zone rules are tzdata ", version,
        " but stored event instants were derived with tzdata ", **recorded,
        ": run `convene-admin retime --redis=", redis_flag,
        "` once, with the same zone rules (it moves the future events the "
        "new rules move, and their reminders); until then stored instants "
        "follow the old rules"));
  }
  return absl::OkStatus();
}

}  // namespace

void PrepareProcessForServing() {
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
}

int RunServiceHost(int argc, char** argv, const HostOptions& options,
                   std::vector<ServiceFactory> services) {
  PrepareProcessForServing();
  // Before any thread exists, so that only the runner sees SIGTERM/SIGINT.
  rpc::BlockShutdownSignals();
  rpc::ParseServerFlags(argc, argv, options.usage);
  rpc::ServerConfig config = rpc::ServerConfigFromFlags();
  const std::string& program = options.name;

  absl::StatusOr<storage::RedisAddress> address =
      storage::RedisAddress::Parse(config.redis);
  if (!address.ok()) {
    core::LogError(absl::StrCat(program, ": --redis: ", address.status().message()));
    return 1;
  }
  storage::RedisClientOptions redis_options;
  redis_options.address = *address;
  redis_options.wait_replicas = config.redis_wait_replicas;
  if (absl::Status s = ReadRedisCredentials(config, redis_options); !s.ok()) {
    core::LogError(absl::StrCat(program, ": ", s.message()));
    return 1;
  }
  redis_options.on_connection_change = [program](bool connected) {
    if (connected) {
      core::LogInfo(absl::StrCat(program, ": connected to Redis"));
    } else {
      core::LogWarn(absl::StrCat(program, ": lost Redis; reconnecting"));
    }
  };
  absl::StatusOr<std::unique_ptr<storage::RedisClient>> redis =
      storage::RedisClient::Start(redis_options);
  if (!redis.ok()) {
    core::LogError(absl::StrCat(program, ": ", redis.status().message()));
    return 1;
  }
  storage::RedisSyncClient probe_client(**redis);
  if (absl::Status s = CheckZoneRules(program, **redis, config.redis); !s.ok()) {
    core::LogError(absl::StrCat(program, ": ", s.message()));
    (*redis)->Shutdown();
    return 1;
  }

  core::SystemClock clock;
  ServiceContext context{**redis, redis_options, clock};
  if (options.instead_of_serving) {
    if (std::optional<int> code = options.instead_of_serving(context)) {
      (*redis)->Shutdown();
      return *code;
    }
  }
  std::vector<HostedService> owned;
  rpc::ServerOptions server_options;
  server_options.name = program;
  for (ServiceFactory& factory : services) {
    absl::StatusOr<HostedService> hosted = factory.make(context);
    if (!hosted.ok()) {
      core::LogError(absl::StrCat(program, ": ", factory.health_name, ": ",
                                  hosted.status().message()));
      return 1;
    }
    owned.push_back(*std::move(hosted));
    server_options.services.push_back(owned.back().service.get());
    for (const rpc::ComponentHealth& c : owned.back().component_health) {
      server_options.component_health.push_back(c);
    }
    for (const rpc::Gauge& g : owned.back().gauges) server_options.gauges.push_back(g);
    server_options.health_service_names.push_back(factory.health_name);
  }
  server_options.close_streams = [&owned] {
    for (const HostedService& hosted : owned) {
      if (hosted.close_streams) hosted.close_streams();
    }
  };
  // Authentication: one authenticator in front of every service, and the
  // admin service for tokens.
  std::unique_ptr<auth::TokenStore> token_store;
  std::unique_ptr<storage::RedisSyncClient> token_redis;
  std::unique_ptr<rpc::WorkerPool> admin_workers;
  std::unique_ptr<auth::AdminHandler> admin;
  if (config.insecure) {
    core::LogWarn(absl::StrCat(
        program, ": *** --insecure: NO AUTHENTICATION, NO TLS: every caller may "
                 "read and change everything, personal data included. Local "
                 "development only. ***"));
  } else {
    absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> credentials =
        MakeServerCredentials(config);
    if (!credentials.ok()) {
      core::LogError(absl::StrCat(program, ": ", credentials.status().message()));
      return 1;
    }
    (*credentials)->SetAuthMetadataProcessor(std::make_shared<auth::TokenAuthenticator>(
        **redis, clock,
        auth::RateLimit{config.rate_limit_per_second, config.rate_burst}));
    config.credentials = *credentials;
    token_redis = std::make_unique<storage::RedisSyncClient>(**redis);
    token_store = std::make_unique<auth::TokenStore>(*token_redis);
    admin_workers = std::make_unique<rpc::WorkerPool>(1, 100);
    // A new token's event ids are checked by the calendar when this binary
    // hosts it (convened, convene-calendar); the others have no way to ask
    // but the calendar's keys, which are not theirs, so they do not check.
    auth::AdminHandler::EventsExist events_exist;
    for (const HostedService& hosted : owned) {
      if (hosted.events_exist) events_exist = hosted.events_exist;
    }
    admin = std::make_unique<auth::AdminHandler>(*token_store, *admin_workers, clock,
                                                 std::move(events_exist));
    server_options.services.push_back(admin.get());
    server_options.health_service_names.push_back(auth::AdminHandler::kServiceName);
  }
  server_options.health_probe = [&probe_client]() -> absl::Status {
    absl::StatusOr<storage::RedisReply> pong =
        probe_client.Command({"PING"}, absl::Seconds(1));
    return pong.status();
  };
  server_options.writes_probe = [&probe_client]() -> absl::Status {
    return probe_client.Command({"SET", storage::keys::WritesProbe(), "1", "NX"}, absl::Seconds(1))
        .status();
  };

  absl::StatusOr<std::unique_ptr<rpc::ServerRunner>> runner =
      rpc::ServerRunner::Start(config, std::move(server_options));
  if (!runner.ok()) {
    core::LogError(absl::StrCat(program, ": ", runner.status().message()));
    return 1;
  }
  (*runner)->Run();
  runner->reset();
  owned.clear();
  (*redis)->Shutdown();
  core::LogInfo(absl::StrCat(program, ": stopped"));
  return 0;
}

}  // namespace convene::host
