#include "auth/token_authenticator.h"

#include <algorithm>
#include <atomic>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "auth/rpc_policy.h"
#include "core/log.h"
#include "rpc/proto_time.h"
#include "rpc/rpc_logging.h"
#include "rpc/status_conversion.h"

namespace convene::auth {
namespace {

std::string ToString(const grpc::string_ref& s) { return std::string(s.data(), s.size()); }

constexpr absl::string_view kBearer = "Bearer ";

// Hash of a secret -> its caller. Written by the authenticator for every
// call it lets through, read by the handlers of that call. Entries never go
// stale (a token's role and scope never change; revocation is checked by the
// authenticator on every call), so the cache only needs a bound.
class CallerCache {
 public:
  static CallerCache& Get() {
    static CallerCache* cache = new CallerCache;
    return *cache;
  }
  void Enable() { enabled_.store(true); }
  bool enabled() const { return enabled_.load(); }
  void Put(const std::string& hash, const core::Caller& caller) {
    absl::MutexLock lock(&mu_);
    if (callers_.size() >= kMaxEntries && !callers_.contains(hash)) callers_.clear();
    callers_[hash] = caller;
  }
  std::optional<core::Caller> Find(const std::string& hash) {
    absl::MutexLock lock(&mu_);
    auto it = callers_.find(hash);
    if (it == callers_.end()) return std::nullopt;
    return it->second;
  }

 private:
  static constexpr size_t kMaxEntries = 100000;
  std::atomic<bool> enabled_{false};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, core::Caller> callers_ ABSL_GUARDED_BY(mu_);
};

// Hashes of secrets Redis refused as unknown, revoked or expired, with the
// answer given. Such a secret never becomes valid (secrets are made by
// CreateToken, never chosen by a caller; revocation and expiry are final),
// so a refusal can be repeated without asking Redis: a client looping on a
// revoked token, or anyone replaying one, costs one script call a minute
// per replica instead of one per call. Bounded: a flood of new secrets
// empties it, and each of those costs its one lookup as before.
class RefusedSecrets {
 public:
  static RefusedSecrets& Get() {
    static RefusedSecrets* refused = new RefusedSecrets;
    return *refused;
  }
  std::optional<std::string> Find(const std::string& hash, absl::Time now) {
    absl::MutexLock lock(&mu_);
    auto it = refused_.find(hash);
    if (it == refused_.end()) return std::nullopt;
    if (it->second.until <= now) {
      refused_.erase(it);
      return std::nullopt;
    }
    return it->second.message;
  }
  void Put(const std::string& hash, std::string message, absl::Time now) {
    absl::MutexLock lock(&mu_);
    if (refused_.size() >= kMaxEntries) {
      absl::erase_if(refused_, [now](const auto& entry) { return entry.second.until <= now; });
      if (refused_.size() >= kMaxEntries) refused_.clear();
    }
    refused_[hash] = {now + kRemembered, std::move(message)};
  }

 private:
  // A minute: long enough to spare Redis a loop's calls, short enough that
  // a token restored into Redis from a backup works again soon.
  static constexpr absl::Duration kRemembered = absl::Minutes(1);
  static constexpr size_t kMaxEntries = 10000;
  struct Refusal {
    absl::Time until;
    std::string message;
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Refusal> refused_ ABSL_GUARDED_BY(mu_);
};

// One open stream's hold on its token: how the stream ends if the token
// goes away.
class StreamTicket {
 public:
  StreamTicket(std::string token_id, std::string hash)
      : token_id_(std::move(token_id)), hash_(std::move(hash)) {}
  const std::string& token_id() const { return token_id_; }
  const std::string& hash() const { return hash_; }
  void SetEnd(absl::AnyInvocable<void(grpc::Status)> end) {
    absl::MutexLock lock(&mu_);
    end_ = std::move(end);
  }
  void Detach() {
    absl::MutexLock lock(&mu_);
    end_ = nullptr;
  }
  void End(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    if (!end_) return;
    absl::AnyInvocable<void(grpc::Status)> end = std::move(end_);
    end_ = nullptr;
    end(std::move(status));
  }

 private:
  const std::string token_id_;
  const std::string hash_;
  absl::Mutex mu_;
  absl::AnyInvocable<void(grpc::Status)> end_ ABSL_GUARDED_BY(mu_);
};

// Open streams by their token's hash, for the checker.
struct OpenStreams {
  static OpenStreams& Get() {
    static OpenStreams* open = new OpenStreams;
    return *open;
  }
  absl::Mutex mu;
  absl::flat_hash_map<std::string, std::vector<std::weak_ptr<StreamTicket>>> by_hash
      ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, int> count_by_token ABSL_GUARDED_BY(mu);
};

}  // namespace

TokenAuthenticator::TokenAuthenticator(storage::RedisClient& redis, const core::Clock& clock,
                                       RateLimit limit)
    : redis_(redis), tokens_(redis_), clock_(clock), limit_(limit) {
  CallerCache::Get().Enable();
  checker_ = std::thread([this] {
    while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) CheckOpenStreams();
  });
}

TokenAuthenticator::~TokenAuthenticator() {
  stop_.Notify();
  if (checker_.joinable()) checker_.join();
}

void TokenAuthenticator::CheckOpenStreams() {
  std::vector<std::string> hashes;
  {
    OpenStreams& open = OpenStreams::Get();
    absl::MutexLock lock(&open.mu);
    for (auto it = open.by_hash.begin(); it != open.by_hash.end();) {
      auto& tickets = it->second;
      tickets.erase(std::remove_if(tickets.begin(), tickets.end(),
                                   [](const std::weak_ptr<StreamTicket>& t) { return t.expired(); }),
                    tickets.end());
      if (tickets.empty()) {
        open.by_hash.erase(it++);
      } else {
        hashes.push_back(it->first);
        ++it;
      }
    }
  }
  if (hashes.empty()) return;
  absl::StatusOr<std::vector<bool>> valid = tokens_.StillValid(hashes, clock_.Now());
  if (!valid.ok()) return;  // Redis away: the streams notice by themselves
  for (size_t i = 0; i < hashes.size(); ++i) {
    if ((*valid)[i]) continue;
    std::vector<std::shared_ptr<StreamTicket>> ending;
    {
      OpenStreams& open = OpenStreams::Get();
      absl::MutexLock lock(&open.mu);
      for (const auto& weak : open.by_hash[hashes[i]]) {
        if (auto t = weak.lock()) ending.push_back(std::move(t));
      }
    }
    for (const auto& t : ending) {
      t->End(grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                          absl::StrCat("token ", t->token_id(), " was revoked or has expired")));
    }
  }
}

void OnRevoked(const std::shared_ptr<void>& ticket, absl::AnyInvocable<void(grpc::Status)> end) {
  if (ticket) static_cast<StreamTicket*>(ticket.get())->SetEnd(std::move(end));
}

void StreamGone(const std::shared_ptr<void>& ticket) {
  if (ticket) static_cast<StreamTicket*>(ticket.get())->Detach();
}

grpc::Status TokenAuthenticator::Process(const InputMetadata& auth_metadata,
                                         grpc::AuthContext* context,
                                         OutputMetadata*, OutputMetadata*) {
  const absl::Time start = absl::Now();
  std::string method;
  if (auto it = auth_metadata.find(":path"); it != auth_metadata.end()) {
    method = ToString(it->second);
  }
  grpc::Status status = Authenticate(method, auth_metadata);
  if (!status.ok()) {
    // A refused call never reaches the logging interceptor: log it here,
    // like every other call, with the token's id (the start of its
    // secret's hash, as CreateToken names it), never the secret.
    std::string token = "none";
    if (auto header = auth_metadata.find("authorization"); header != auth_metadata.end()) {
      const std::string value = ToString(header->second);
      if (absl::StartsWith(value, kBearer) && value.size() > kBearer.size()) {
        token = absl::StrCat(
            "tok_", TokenStore::HashSecret(absl::string_view(value).substr(kBearer.size()))
                        .substr(0, 12));
      }
    }
    core::LogInfo(absl::StrCat(rpc::FormatRpcLogLine(method, status.error_code(),
                                                     absl::Now() - start),
                               " refused token=", token));
  }
  return status;
}

grpc::Status TokenAuthenticator::Authenticate(const std::string& method,
                                              const InputMetadata& auth_metadata) {
  if (core::IsPublicMethod(method)) return grpc::Status::OK;
  auto header = auth_metadata.find("authorization");
  if (header == auth_metadata.end()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "authorization: missing; send \"authorization: Bearer <token>\"");
  }
  const std::string value = ToString(header->second);
  if (!absl::StartsWith(value, kBearer) || value.size() == kBearer.size()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        "authorization: must be \"Bearer <token>\"");
  }
  const absl::string_view secret = absl::string_view(value).substr(kBearer.size());
  const std::string hash = TokenStore::HashSecret(secret);
  if (std::optional<std::string> refused = RefusedSecrets::Get().Find(hash, absl::Now())) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED, *refused);
  }
  absl::StatusOr<v1::Token> token = tokens_.Check(secret, clock_.Now(), limit_);
  if (absl::IsUnauthenticated(token.status())) {
    RefusedSecrets::Get().Put(hash, std::string(token.status().message()), absl::Now());
  }
  if (!token.ok()) return rpc::ToGrpcStatus(token.status());
  absl::StatusOr<core::Role> role = core::ParseRole(token->role());
  if (!role.ok()) {
    return grpc::Status(grpc::StatusCode::UNAUTHENTICATED,
                        absl::StrCat("token ", token->id(), " has no valid role"));
  }
  core::Caller caller{token->id(), *role,
                      {token->event_ids().begin(), token->event_ids().end()},
                      token->has_expire_time() ? rpc::TimeFromProto(token->expire_time())
                                               : absl::InfiniteFuture()};
  if (absl::Status s = AuthorizeMethod(caller, method); !s.ok()) {
    return rpc::ToGrpcStatus(s);
  }
  CallerCache::Get().Put(hash, caller);
  return grpc::Status::OK;
}

absl::StatusOr<std::optional<core::Caller>> CallerOf(const grpc::ServerContextBase& context) {
  if (!CallerCache::Get().enabled()) return std::optional<core::Caller>();
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  if (header == metadata.end()) {
    return absl::UnauthenticatedError("authorization: missing");
  }
  const std::string value = ToString(header->second);
  std::optional<core::Caller> caller =
      CallerCache::Get().Find(TokenStore::HashSecret(absl::string_view(value).substr(
          std::min(value.size(), kBearer.size()))));
  if (!caller) return absl::UnavailableError("the caller's authentication is gone; retry");
  return caller;
}

absl::StatusOr<std::shared_ptr<void>> AcquireStream(const grpc::ServerContextBase& context) {
  absl::StatusOr<std::optional<core::Caller>> caller = CallerOf(context);
  if (!caller.ok()) return caller.status();
  if (!*caller) return std::shared_ptr<void>();
  const std::string token = (*caller)->token_id;
  const auto& metadata = context.client_metadata();
  auto header = metadata.find("authorization");
  const std::string value = header == metadata.end() ? "" : ToString(header->second);
  const std::string hash =
      TokenStore::HashSecret(absl::string_view(value).substr(std::min(value.size(), kBearer.size())));
  OpenStreams& open = OpenStreams::Get();
  {
    absl::MutexLock lock(&open.mu);
    int& n = open.count_by_token[token];
    if (n >= kMaxStreamsPerToken) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "token ", token, " already holds ", n, " open streams on this server (the most "
          "one token may); close one first"));
    }
    ++n;
  }
  std::shared_ptr<StreamTicket> ticket(new StreamTicket(token, hash), [](StreamTicket* t) {
    OpenStreams& open = OpenStreams::Get();
    {
      absl::MutexLock lock(&open.mu);
      if (--open.count_by_token[t->token_id()] == 0) open.count_by_token.erase(t->token_id());
    }
    delete t;
  });
  {
    absl::MutexLock lock(&open.mu);
    open.by_hash[hash].push_back(ticket);
  }
  return std::shared_ptr<void>(ticket, ticket.get());
}

bool CallerCovers(const grpc::ServerContextBase& context,
                  const std::vector<std::string>& event_ids) {
  absl::StatusOr<std::optional<core::Caller>> caller = CallerOf(context);
  return caller.ok() && (!*caller || core::Covers(**caller, event_ids));
}

// A caller whose record is gone (the cache was cleared after AdmitRequest
// found it) is taken for the least a token may be, never for a caller
// without authentication: already expired, and integration, the role that
// sees no personal data and may grant nothing more.
absl::Time CallerExpiry(const grpc::ServerContextBase& context) {
  absl::StatusOr<std::optional<core::Caller>> caller = CallerOf(context);
  if (!caller.ok()) return absl::InfinitePast();
  return *caller ? (*caller)->expire_time : absl::InfiniteFuture();
}

core::Role CallerRole(const grpc::ServerContextBase& context) {
  absl::StatusOr<std::optional<core::Caller>> caller = CallerOf(context);
  if (!caller.ok()) return core::Role::kIntegration;
  return *caller ? (*caller)->role : core::Role::kAdmin;
}

bool SeesPersonalData(const grpc::ServerContextBase& context) {
  absl::StatusOr<std::optional<core::Caller>> caller = CallerOf(context);
  return caller.ok() && (!*caller || core::SeesPersonalData((*caller)->role));
}

}  // namespace convene::auth
