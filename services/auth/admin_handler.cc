#include "auth/admin_handler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/access_policy.h"
#include "rpc/proto_time.h"
#include "rpc/status_conversion.h"

namespace convene::auth {
namespace {

constexpr absl::Duration kDefaultTtl = absl::Hours(24 * 90);
constexpr absl::Duration kMaxTtl = absl::Hours(24 * 400);
constexpr int kMaxEvents = 1000;

}  // namespace

absl::StatusOr<absl::Duration> ValidateNewToken(const v1::CreateTokenRequest& request) {
  const v1::Token& t = request.token();
  if (t.name().empty() || t.name().size() > 100) {
    return absl::InvalidArgumentError("token.name: must be 1-100 characters");
  }
  if (absl::StatusOr<core::Role> role = core::ParseRole(t.role(), "token.role"); !role.ok()) {
    return role.status();
  }
  if (t.event_ids_size() > kMaxEvents) {
    return absl::InvalidArgumentError(
        absl::StrCat("token.event_ids: at most ", kMaxEvents, " events"));
  }
  for (int i = 0; i < t.event_ids_size(); ++i) {
    if (t.event_ids(i).empty() || t.event_ids(i).size() > 128) {
      return absl::InvalidArgumentError(
          absl::StrCat("token.event_ids[", i, "]: must be 1-128 characters"));
    }
  }
  if (!request.has_ttl()) return kDefaultTtl;
  const absl::Duration ttl = rpc::DurationFromProto(request.ttl());
  if (ttl < absl::Minutes(1) || ttl > kMaxTtl) {
    return absl::InvalidArgumentError("ttl: must be 1 minute - 400 days");
  }
  return ttl;
}

grpc::ServerUnaryReactor* AdminHandler::CreateToken(grpc::CallbackServerContext* context,
                                                    const v1::CreateTokenRequest* request,
                                                    v1::CreateTokenResponse* response) {
  return rpc::FinishOnPool(context, workers_, [this, request, response]() -> absl::Status {
    absl::StatusOr<absl::Duration> ttl = ValidateNewToken(*request);
    if (!ttl.ok()) return ttl.status();
    v1::Token token;
    token.set_name(request->token().name());
    token.set_role(request->token().role());
    *token.mutable_event_ids() = request->token().event_ids();
    absl::StatusOr<IssuedToken> issued = tokens_.Create(std::move(token), *ttl, clock_.Now());
    if (!issued.ok()) return issued.status();
    *response->mutable_token() = std::move(issued->token);
    response->set_secret(std::move(issued->secret));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminHandler::ListTokens(grpc::CallbackServerContext* context,
                                                   const v1::ListTokensRequest*,
                                                   v1::ListTokensResponse* response) {
  return rpc::FinishOnPool(context, workers_, [this, response]() -> absl::Status {
    absl::StatusOr<std::vector<v1::Token>> tokens = tokens_.List(clock_.Now());
    if (!tokens.ok()) return tokens.status();
    for (v1::Token& t : *tokens) *response->add_tokens() = std::move(t);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminHandler::RevokeToken(grpc::CallbackServerContext* context,
                                                    const v1::RevokeTokenRequest* request,
                                                    v1::RevokeTokenResponse*) {
  return rpc::FinishOnPool(context, workers_, [this, request]() -> absl::Status {
    if (request->token_id().empty()) {
      return absl::InvalidArgumentError("token_id: is required");
    }
    return tokens_.Revoke(request->token_id());
  });
}

}  // namespace convene::auth
