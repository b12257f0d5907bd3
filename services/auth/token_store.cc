#include "auth/token_store.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <optional>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/log.h"
#include "storage/keys.h"
#include "storage/scripts/token_check_lua.h"
#include "storage/scripts/token_sweep_lua.h"

namespace convene::auth {
using storage::RedisReply;
namespace keys = storage::keys;
namespace scripts = storage::scripts;
namespace {

void SetTime(google::protobuf::Timestamp* ts, absl::Time t) {
  ts->set_seconds(absl::ToUnixSeconds(t));
}

struct StoredToken {
  int64_t expire_ms = 0;
  v1::Token token;
};

// A value of keys::Tokens(); nullopt when it is not readable.
std::optional<StoredToken> ParseEntry(absl::string_view entry) {
  std::vector<absl::string_view> parts = absl::StrSplit(entry, absl::MaxSplits('|', 2));
  StoredToken stored;
  if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &stored.expire_ms) ||
      !stored.token.ParseFromString(std::string(parts[2]))) {
    return std::nullopt;
  }
  return stored;
}

}  // namespace

absl::Status ValidateTokenTtl(absl::Duration ttl, absl::string_view field) {
  if (ttl < absl::Minutes(1) || ttl > absl::Hours(24 * 400)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", absl::FormatDuration(ttl),
                     " is outside 1 minute - 400 days"));
  }
  return absl::OkStatus();
}

std::string TokenStore::HashSecret(absl::string_view secret) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(secret.data()), secret.size(), digest);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(digest), sizeof(digest)));
}

absl::StatusOr<IssuedToken> TokenStore::Create(v1::Token token, absl::Duration ttl,
                                               absl::Time now) {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    return absl::InternalError("no randomness for a token secret");
  }
  IssuedToken issued;
  issued.secret = absl::StrCat(
      "cvt_", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(random),
                                                       sizeof(random))));
  const std::string hash = HashSecret(issued.secret);
  token.set_id(absl::StrCat("tok_", hash.substr(0, 12)));
  SetTime(token.mutable_create_time(), now);
  SetTime(token.mutable_expire_time(), now + ttl);
  const std::string entry = absl::StrCat(absl::ToUnixMillis(now + ttl), "|", token.id(), "|",
                                         token.SerializeAsString());
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> r = redis_.Pipeline(
      {{"HSET", keys::Tokens(), hash, entry}, {"HSET", keys::TokenIds(), token.id(), hash}});
  if (!r.ok()) return r.status();
  for (const auto& part : *r) {
    if (!part.ok()) return part.status();
  }
  // Each token made sweeps a part of the store for expired ones, so that
  // the store holds about as many tokens as are valid. The new token is
  // made either way: the next one sweeps on.
  if (absl::Status swept =
          redis_.Eval(scripts::TokenSweep(),
                      {keys::Tokens(), keys::TokenIds(), keys::TokenSweepCursor()},
                      {absl::StrCat(absl::ToUnixMillis(now)), "100"})
              .status();
      !swept.ok()) {
    core::LogWarn(absl::StrCat("sweeping expired tokens: ", swept.ToString()));
  }
  issued.token = std::move(token);
  return issued;
}

absl::StatusOr<v1::Token> TokenStore::Check(absl::string_view secret, absl::Time now,
                                            const RateLimit& limit) {
  absl::StatusOr<RedisReply> r = redis_.Eval(
      scripts::TokenCheck(), {keys::Tokens()},
      {HashSecret(secret), absl::StrCat(absl::ToUnixMillis(now)),
       absl::StrCat(limit.per_second), absl::StrCat(std::max(limit.burst, 1)),
       keys::TokenBucketPrefix()});
  if (!r.ok()) return r.status();
  v1::Token token;
  if (!token.ParseFromString(r->text())) {
    return absl::DataLossError("a stored token is not readable");
  }
  return token;
}

absl::StatusOr<std::vector<bool>> TokenStore::StillValid(const std::vector<std::string>& hashes,
                                                         absl::Time now) {
  std::vector<std::string> command = {"HMGET", keys::Tokens()};
  command.insert(command.end(), hashes.begin(), hashes.end());
  absl::StatusOr<RedisReply> r = redis_.Command(std::move(command));
  if (!r.ok()) return r.status();
  std::vector<bool> out;
  for (const RedisReply& e : r->elements()) {
    int64_t expire_ms = 0;
    out.push_back(!e.is_nil() &&
                  absl::SimpleAtoi(e.text().substr(0, e.text().find('|')), &expire_ms) &&
                  expire_ms > absl::ToUnixMillis(now));
  }
  if (out.size() != hashes.size()) return absl::InternalError("HMGET tokens: bad reply");
  return out;
}

absl::StatusOr<std::vector<v1::Token>> TokenStore::List(absl::Time now) {
  absl::StatusOr<RedisReply> r = redis_.Command({"HVALS", keys::Tokens()});
  if (!r.ok()) return r.status();
  std::vector<v1::Token> out;
  for (const RedisReply& e : r->elements()) {
    std::optional<StoredToken> stored = ParseEntry(e.text());
    if (stored && stored->expire_ms > absl::ToUnixMillis(now)) {
      out.push_back(std::move(stored->token));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const v1::Token& a, const v1::Token& b) { return a.id() < b.id(); });
  return out;
}

absl::Status TokenStore::Revoke(const std::string& token_id,
                               absl::FunctionRef<bool(const v1::Token&)> may_revoke) {
  const absl::Status unknown =
      absl::NotFoundError(absl::StrCat("token_id: ", token_id, " is not a token"));
  absl::StatusOr<RedisReply> hash = redis_.Command({"HGET", keys::TokenIds(), token_id});
  if (!hash.ok()) return hash.status();
  if (hash->is_nil()) return unknown;
  // The record itself, not List(): an expired token is still stored, and
  // still outside a scope it was outside of.
  absl::StatusOr<RedisReply> entry = redis_.Command({"HGET", keys::Tokens(), hash->text()});
  if (!entry.ok()) return entry.status();
  if (entry->is_nil()) return unknown;
  std::optional<StoredToken> stored = ParseEntry(entry->text());
  if (!stored) return absl::DataLossError("a stored token is not readable");
  if (!may_revoke(stored->token)) return unknown;
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> r = redis_.Pipeline(
      {{"HDEL", keys::Tokens(), hash->text()},
       {"HDEL", keys::TokenIds(), token_id},
       {"DEL", absl::StrCat(keys::TokenBucketPrefix(), token_id)}});
  return r.status();
}

}  // namespace convene::auth
