// The gRPC face of convene.v1.AdminService: token management. The
// authenticator lets only admin tokens through; this checks the request,
// runs the (blocking) token store on a worker pool and maps the result.
//
//   AdminHandler admin(tokens, workers, clock);
//   builder.RegisterService(&admin);
#ifndef CONVENE_AUTH_ADMIN_HANDLER_H_
#define CONVENE_AUTH_ADMIN_HANDLER_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "auth/token_store.h"
#include "convene/v1/admin.grpc.pb.h"
#include "core/clock.h"
#include "rpc/worker_pool.h"

namespace convene::auth {

class AdminHandler final : public v1::AdminService::CallbackService {
 public:
  static constexpr char kServiceName[] = "convene.v1.AdminService";

  // OK when every id names an event; NOT_FOUND naming `field` and the
  // first id that does not; another error when it cannot tell. Blocking:
  // it runs on the handler's worker pool.
  using EventsExist = std::function<absl::Status(absl::string_view field,
                                                 const std::vector<std::string>& event_ids)>;

  // All must outlive the handler. Without `events_exist`, scopes are not
  // checked against the calendar.
  AdminHandler(TokenStore& tokens, rpc::WorkerPool& workers, const core::Clock& clock,
               EventsExist events_exist = nullptr)
      : tokens_(tokens), workers_(workers), clock_(clock),
        events_exist_(std::move(events_exist)) {}

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
  EventsExist events_exist_;
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
