// The gRPC face of convene.v1.AdminService: token management. The
// authenticator lets only admin tokens through; this checks the request,
// runs the (blocking) token store on a worker pool and maps the result.
//
//   AdminHandler admin(tokens, workers, clock);
//   builder.RegisterService(&admin);
#ifndef CONVENE_AUTH_ADMIN_HANDLER_H_
#define CONVENE_AUTH_ADMIN_HANDLER_H_

#include "auth/token_store.h"
#include "convene/v1/admin.grpc.pb.h"
#include "core/clock.h"
#include "rpc/worker_pool.h"

namespace convene::auth {

class AdminHandler final : public v1::AdminService::CallbackService {
 public:
  static constexpr char kServiceName[] = "convene.v1.AdminService";

  // All must outlive the handler.
  AdminHandler(TokenStore& tokens, rpc::WorkerPool& workers, const core::Clock& clock)
      : tokens_(tokens), workers_(workers), clock_(clock) {}

  grpc::ServerUnaryReactor* CreateToken(grpc::CallbackServerContext* context,
                                        const v1::CreateTokenRequest* request,
                                        v1::CreateTokenResponse* response) override;
  grpc::ServerUnaryReactor* ListTokens(grpc::CallbackServerContext* context,
                                       const v1::ListTokensRequest* request,
                                       v1::ListTokensResponse* response) override;
  grpc::ServerUnaryReactor* RevokeToken(grpc::CallbackServerContext* context,
                                        const v1::RevokeTokenRequest* request,
                                        v1::RevokeTokenResponse* response) override;

 private:
  TokenStore& tokens_;
  rpc::WorkerPool& workers_;
  const core::Clock& clock_;
};

// Checks a token to be issued at `now` by a token expiring at
// `caller_expires` (name, role, event ids, ttl) and returns the ttl to use:
// INVALID_ARGUMENT naming the field otherwise. A token never outlives the
// one that made it: a ttl ending later is refused, and without a ttl the
// default (90 days) is cut to end with the caller's token.
absl::StatusOr<absl::Duration> ValidateNewToken(const v1::CreateTokenRequest& request,
                                                absl::Time now, absl::Time caller_expires);

}  // namespace convene::auth

#endif  // CONVENE_AUTH_ADMIN_HANDLER_H_
