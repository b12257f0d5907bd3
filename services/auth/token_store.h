// TokenStore: the bearer tokens callers present, in Redis under {sys}: only
// the SHA-256 of each secret is kept, next to the token's role, scope and
// expiry; and each token's rate-limit bucket.
//
//   TokenStore tokens(redis);
//   absl::StatusOr<IssuedToken> t = tokens.Create(token, absl::Hours(24), now);
//   absl::StatusOr<v1::Token> who = tokens.Check(secret, now, limits);
//
// Blocking (RedisSyncClient): the authentication step runs on gRPC's
// thread pool for it, never on a callback thread.
#ifndef CONVENE_AUTH_TOKEN_STORE_H_
#define CONVENE_AUTH_TOKEN_STORE_H_

#include <string>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "convene/v1/admin.pb.h"
#include "storage/redis_sync_client.h"

namespace convene::auth {

struct RateLimit {
  // Calls per second refilled into each token's bucket (0: no limit).
  double per_second = 0;
  // The bucket's size: calls a token may make at once.
  int burst = 0;
};

// How long a token may be valid: 1 minute to 400 days. INVALID_ARGUMENT
// naming `field` otherwise (CreateToken and convene-admin bootstrap-token).
absl::Status ValidateTokenTtl(absl::Duration ttl, absl::string_view field);

struct IssuedToken {
  v1::Token token;
  std::string secret;  // shown once
};

class TokenStore {
 public:
  explicit TokenStore(storage::RedisSyncClient& redis) : redis_(redis) {}

  // The SHA-256 of a secret, lowercase hex.
  static std::string HashSecret(absl::string_view secret);

  // Stores a new token (its id and times filled in) valid for `ttl`.
  absl::StatusOr<IssuedToken> Create(v1::Token token, absl::Duration ttl, absl::Time now);

  // The token whose secret this is: UNAUTHENTICATED when unknown, revoked
  // or expired; RESOURCE_EXHAUSTED when over `limit`. One round trip.
  absl::StatusOr<v1::Token> Check(absl::string_view secret, absl::Time now,
                                  const RateLimit& limit);

  // For each SHA-256 of a secret: whether its token still exists and has
  // not expired (open streams re-check their callers with it). One round
  // trip.
  absl::StatusOr<std::vector<bool>> StillValid(const std::vector<std::string>& hashes,
                                               absl::Time now);

  // Tokens not yet expired, by id.
  absl::StatusOr<std::vector<v1::Token>> List(absl::Time now);

  // Revokes token `token_id`, expired or not, if `may_revoke` accepts its
  // record. NOT_FOUND with the same message for an unknown id and for one
  // `may_revoke` refuses, so a scoped admin cannot learn which ids exist
  // outside its scope.
  absl::Status Revoke(const std::string& token_id,
                      absl::FunctionRef<bool(const v1::Token&)> may_revoke);

 private:
  storage::RedisSyncClient& redis_;
};

}  // namespace convene::auth

#endif  // CONVENE_AUTH_TOKEN_STORE_H_
