// What a handler learns about its caller when the authenticator's record of
// the call is gone (its cache holds a bounded number of callers and is
// cleared when full, which can happen between AdmitRequest and a handler's
// later look): never more than the least a token may do. The ones that
// answered "admin", "sees personal data" and "never expires" let a
// check-in token's ListRegistrations show e-mail addresses, and a
// short-lived admin token mint one that outlives it.
//
// A separate binary: the authenticator turns the process-wide cache on,
// which rpc_policy_test must not see.
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <memory>

#include "absl/time/time.h"
#include "auth/token_authenticator.h"
#include "core/access_policy.h"
#include "core/clock.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"

namespace convene::auth {
namespace {

TEST(CallerLookup, ACallerWhoseRecordIsGoneGetsTheLeastNotTheMost) {
  storage::RedisClientOptions options;
  // Nothing listens there; the client connects in the background.
  options.address = *storage::RedisAddress::Parse("redis://127.0.0.1:1");
  absl::StatusOr<std::unique_ptr<storage::RedisClient>> redis =
      storage::RedisClient::Start(options);
  ASSERT_TRUE(redis.ok()) << redis.status();
  core::SystemClock clock;
  TokenAuthenticator authenticator(**redis, clock, RateLimit{});
  grpc::ServerContext context;  // a call the authenticator has no record of

  EXPECT_FALSE(CallerOf(context).ok());
  EXPECT_NE(CallerRole(context), core::Role::kAdmin);
  EXPECT_FALSE(core::SeesPersonalData(CallerRole(context)));
  EXPECT_FALSE(SeesPersonalData(context));
  EXPECT_FALSE(CallerCovers(context, {"ev_a"}));
  EXPECT_LT(CallerExpiry(context), absl::Now());
}

}  // namespace
}  // namespace convene::auth
