#include "auth/admin_handler.h"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "auth/rpc_policy.h"
#include "auth/token_authenticator.h"
#include "core/access_policy.h"
#include "core/text_limits.h"
#include "rpc/proto_time.h"
#include "rpc/status_conversion.h"

namespace convene::auth {
namespace {

constexpr absl::Duration kDefaultTtl = absl::Hours(24 * 90);

std::vector<std::string> EventIds(const v1::Token& t) {
  return {t.event_ids().begin(), t.event_ids().end()};
}

}  // namespace

absl::StatusOr<absl::Duration> ValidateNewToken(const v1::CreateTokenRequest& request,
                                                absl::Time now, absl::Time caller_expires) {
  const v1::Token& t = request.token();
  if (absl::Status s = core::CheckTextLength("token.name", t.name(), 100, /*required=*/true);
      !s.ok()) {
    return s;
  }
  if (absl::StatusOr<core::Role> role = core::ParseRole(t.role(), "token.role"); !role.ok()) {
    return role.status();
  }
  if (absl::Status s = core::CheckScopedEventIds("token.event_ids", EventIds(t)); !s.ok()) {
    return s;
  }
  // Otherwise a short-lived or soon-revoked token could make itself
  // permanent by minting a long-lived copy of itself.
  if (!request.has_ttl()) return std::min(kDefaultTtl, caller_expires - now);
  const absl::Duration ttl = rpc::DurationFromProto(request.ttl());
  if (absl::Status s = ValidateTokenTtl(ttl, "ttl"); !s.ok()) return s;
  if (now + ttl > caller_expires) {
    return absl::InvalidArgumentError(absl::StrCat(
        "ttl: ", absl::FormatDuration(ttl), " would outlive the calling token, which expires at ",
        absl::FormatTime(absl::RFC3339_sec, caller_expires, absl::UTCTimeZone())));
  }
  return ttl;
}

grpc::ServerUnaryReactor* AdminHandler::CreateToken(grpc::CallbackServerContext* context,
                                                    const v1::CreateTokenRequest* request,
                                                    v1::CreateTokenResponse* response) {
  return rpc::FinishOnPool(context, workers_, [this, context, request, response]() -> absl::Status {
    // A token hands out at most its own scope: a token for some events
    // never mints one for every event (the policy of CreateToken).
    if (absl::Status s = AdmitRequest(*context, *request); !s.ok()) return s;
    const absl::Time now = clock_.Now();
    // Its record read once, and a record gone since AdmitRequest is an
    // error here, not a caller that never expires.
    absl::StatusOr<std::optional<core::Caller>> caller = CallerOf(*context);
    if (!caller.ok()) return caller.status();
    absl::StatusOr<absl::Duration> ttl = ValidateNewToken(
        *request, now, *caller ? (*caller)->expire_time : absl::InfiniteFuture());
    if (!ttl.ok()) return ttl.status();
    // ... and at most its own role.
    const core::Role granted = *core::ParseRole(request->token().role(), "token.role");
    if (!core::MayGrantRole(*caller ? (*caller)->role : core::Role::kAdmin, granted)) {
      return absl::PermissionDeniedError(absl::StrCat(
          "token.role: ", request->token().role(), " is more than this token's role"));
    }
    // A mistyped id would make a token that every call for the intended
    // event refuses with PERMISSION_DENIED, long after it was handed out.
    // Checked after the caller's scope, so a scoped admin learns nothing of
    // events outside it; events are never deleted, so the scope stays good.
    if (events_exist_ != nullptr && request->token().event_ids_size() > 0) {
      if (absl::Status s = events_exist_("token.event_ids", EventIds(request->token()));
          !s.ok()) {
        return s;
      }
    }
    v1::Token token;
    token.set_name(request->token().name());
    token.set_role(request->token().role());
    *token.mutable_event_ids() = request->token().event_ids();
    absl::StatusOr<IssuedToken> issued = tokens_.Create(std::move(token), *ttl, now);
    if (!issued.ok()) return issued.status();
    *response->mutable_token() = std::move(issued->token);
    response->set_secret(std::move(issued->secret));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminHandler::ListTokens(grpc::CallbackServerContext* context,
                                                   const v1::ListTokensRequest* request,
                                                   v1::ListTokensResponse* response) {
  return rpc::FinishOnPool(context, workers_, [this, context, request, response]() -> absl::Status {
    if (absl::Status s = AdmitRequest(*context, *request); !s.ok()) return s;
    absl::StatusOr<std::vector<v1::Token>> tokens = tokens_.List(clock_.Now());
    if (!tokens.ok()) return tokens.status();
    for (v1::Token& t : *tokens) {
      // A scoped caller sees only the tokens inside its scope.
      if (CallerCovers(*context, EventIds(t))) *response->add_tokens() = std::move(t);
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AdminHandler::RevokeToken(grpc::CallbackServerContext* context,
                                                    const v1::RevokeTokenRequest* request,
                                                    v1::RevokeTokenResponse*) {
  return rpc::FinishOnPool(context, workers_, [this, context, request]() -> absl::Status {
    if (absl::Status s = AdmitRequest(*context, *request); !s.ok()) return s;
    if (request->token_id().empty()) {
      return absl::InvalidArgumentError("token_id: is required");
    }
    // Outside the caller's scope looks exactly like unknown.
    return tokens_.Revoke(request->token_id(), [&](const v1::Token& t) {
      return CallerCovers(*context, EventIds(t));
    });
  });
}

}  // namespace convene::auth
