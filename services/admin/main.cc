// convene-admin: operator commands that work on Redis directly, for what no
// token can do yet.
//
//   convene-admin bootstrap-token --redis=unix:///run/convene/redis.sock
//       makes an admin token and prints its secret, once (only its SHA-256
//       is stored). Use it to create the other tokens with `convene tokens
//       create`, then keep it safe or revoke it.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "auth/token_store.h"
#include "core/clock.h"
#include "storage/redis_address.h"
#include "storage/redis_sync_client.h"

ABSL_FLAG(std::string, redis, "redis://127.0.0.1:6379",
          "Redis: redis://HOST:PORT or unix:///path/to/redis.sock");
ABSL_FLAG(std::string, redis_user, "", "Redis ACL user");
ABSL_FLAG(std::string, redis_password_file, "",
          "file holding the Redis password; else $CONVENE_REDIS_PASSWORD");
ABSL_FLAG(std::string, name, "bootstrap admin", "what the token is for");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(24 * 30), "how long the token is valid");
ABSL_FLAG(std::string, role, "admin",
          "role of the token (admin, organizer, checkin, integration, reminder-job)");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "convene-admin: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "operator commands on Convene's Redis.\n"
      "  convene-admin bootstrap-token --redis=ADDRESS [--name=...] [--ttl=720h] [--role=admin]");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  if (args.size() != 2 || std::string(args[1]) != "bootstrap-token") {
    return Fail("usage: convene-admin bootstrap-token --redis=ADDRESS (see --help)");
  }
  absl::StatusOr<convene::storage::RedisAddress> address =
      convene::storage::RedisAddress::Parse(absl::GetFlag(FLAGS_redis));
  if (!address.ok()) return Fail(absl::StrCat("--redis: ", address.status().message()));
  convene::storage::RedisClientOptions options;
  options.address = *address;
  options.username = absl::GetFlag(FLAGS_redis_user);
  if (std::string file = absl::GetFlag(FLAGS_redis_password_file); !file.empty()) {
    std::ifstream in(file);
    if (!in || !std::getline(in, options.password)) {
      return Fail(absl::StrCat("--redis_password_file: cannot read ", file));
    }
  } else if (const char* password = std::getenv("CONVENE_REDIS_PASSWORD")) {
    options.password = password;
  }
  absl::StatusOr<std::unique_ptr<convene::storage::RedisSyncClient>> redis =
      convene::storage::RedisSyncClient::Start(options);
  if (!redis.ok()) return Fail(redis.status().ToString());
  convene::v1::Token token;
  token.set_name(absl::GetFlag(FLAGS_name));
  token.set_role(absl::GetFlag(FLAGS_role));
  convene::auth::TokenStore tokens(**redis);
  convene::core::SystemClock clock;
  absl::StatusOr<convene::auth::IssuedToken> issued =
      tokens.Create(token, absl::GetFlag(FLAGS_ttl), clock.Now());
  if (!issued.ok()) return Fail(issued.status().ToString());
  // The secret on stdout alone, so that scripts can capture it; the rest on
  // stderr.
  std::fprintf(stderr, "convene-admin: %s token %s (%s), valid until %s; shown once:\n",
               issued->token.role().c_str(), issued->token.id().c_str(),
               issued->token.name().c_str(),
               absl::FormatTime(absl::FromUnixSeconds(issued->token.expire_time().seconds()),
                                absl::UTCTimeZone()).c_str());
  std::printf("%s\n", issued->secret.c_str());
  return 0;
}
