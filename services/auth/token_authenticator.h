// TokenAuthenticator: the one place every RPC of every service is
// authenticated and checked against the role table, before any handler runs.
// gRPC calls it (on its own thread pool: it blocks on one Redis round trip)
// with the call's metadata, ":path" included. It takes the bearer token from
// "authorization", looks it up and charges its rate limit (one Lua script),
// checks the role may call the method, and remembers the token's caller
// (role and scope: a token's never change) in a process-wide cache keyed by
// the secret's hash, for the scope checks that need the request. (gRPC's
// AuthContext belongs to the connection, not the call, so it cannot carry
// who made one call.) No log line carries the metadata.
//
//   auto credentials = grpc::experimental::LocalServerCredentials(LOCAL_TCP);
//   credentials->SetAuthMetadataProcessor(
//       std::make_shared<TokenAuthenticator>(redis, clock, limit));
//
// What needs the request itself (is this event in the token's scope?) is
// checked by AuthorizeEvent(context, event_id) where the event id is read.
#ifndef CONVENE_AUTH_TOKEN_AUTHENTICATOR_H_
#define CONVENE_AUTH_TOKEN_AUTHENTICATOR_H_

#include <grpcpp/grpcpp.h>
#include <grpcpp/security/auth_metadata_processor.h>

#include <memory>
#include <optional>
#include <thread>

#include "absl/functional/any_invocable.h"
#include "absl/synchronization/notification.h"

#include "auth/token_store.h"
#include "core/access_policy.h"
#include "core/clock.h"
#include "rpc/status_conversion.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"

namespace convene::auth {

class TokenAuthenticator final : public grpc::AuthMetadataProcessor {
 public:
  // `redis` and `clock` must outlive the authenticator.
  TokenAuthenticator(storage::RedisClient& redis, const core::Clock& clock,
                     RateLimit limit);

  bool IsBlocking() const override { return true; }

  grpc::Status Process(const InputMetadata& auth_metadata, grpc::AuthContext* context,
                       OutputMetadata* consumed_auth_metadata,
                       OutputMetadata* response_metadata) override;

  ~TokenAuthenticator() override;

 private:
  // Ends the open streams whose token was revoked or has expired.
  void CheckOpenStreams();

  grpc::Status Authenticate(const std::string& method, const InputMetadata& auth_metadata);

  storage::RedisSyncClient redis_;
  TokenStore tokens_;
  const core::Clock& clock_;
  const RateLimit limit_;
  absl::Notification stop_;
  std::thread checker_;
};

// The caller of this call, as TokenAuthenticator found it; nullopt when the
// server runs without authentication (--insecure). UNAVAILABLE when the
// authenticator's record of it is gone (retry).
absl::StatusOr<std::optional<core::Caller>> CallerOf(const grpc::ServerContextBase& context);

// core::Covers for this call's caller (true without authentication): what a
// scoped caller may see or act on; anything else looks to it as if it did
// not exist.
bool CallerCovers(const grpc::ServerContextBase& context,
                  const std::vector<std::string>& event_ids);

// When the caller's token expires (never without authentication; already,
// when the authenticator's record of the caller is gone).
absl::Time CallerExpiry(const grpc::ServerContextBase& context);

// The caller's role (admin without authentication; integration, which sees
// least, when the authenticator's record of the caller is gone).
core::Role CallerRole(const grpc::ServerContextBase& context);

// Whether this call's caller may see personal data (true without
// authentication).
bool SeesPersonalData(const grpc::ServerContextBase& context);

// Server streams a token may hold open at once on one replica.
inline constexpr int kMaxStreamsPerToken = 16;

// A place for one more open stream of this call's token (RESOURCE_EXHAUSTED
// past kMaxStreamsPerToken): keep it as long as the stream lives. Without
// authentication, or without a token, streams are not counted.
// The authenticator re-checks the token of every open stream about once a
// second: see OnRevoked.
absl::StatusOr<std::shared_ptr<void>> AcquireStream(const grpc::ServerContextBase& context);

// How the stream holding `ticket` (from AcquireStream) ends when its token
// is revoked or expires: `end` is called once, from the authenticator's
// thread, with UNAUTHENTICATED, unless StreamGone() came first. No-op for
// a null ticket (no authentication). The stream must call StreamGone()
// before it is destroyed.
void OnRevoked(const std::shared_ptr<void>& ticket, absl::AnyInvocable<void(grpc::Status)> end);
void StreamGone(const std::shared_ptr<void>& ticket);

}  // namespace convene::auth

#endif  // CONVENE_AUTH_TOKEN_AUTHENTICATOR_H_
