#include "calendar/pseudonym_key_source.h"

#include <openssl/rand.h>

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "storage/keys.h"

namespace convene::calendar {

absl::StatusOr<std::string> PseudonymKeySource::Get() {
  absl::MutexLock lock(&mu_);
  if (!key_.empty()) return key_;
  absl::StatusOr<std::string> key = ReadOrMake(redis_);
  if (!key.ok()) return key.status();
  key_ = *std::move(key);
  return key_;
}

absl::StatusOr<std::string> PseudonymKeySource::ReadOrMake(storage::RedisSyncClient& redis) {
  unsigned char random[32];
  if (RAND_bytes(random, sizeof(random)) != 1) {
    return absl::InternalError("pseudonym key: no random bytes from OpenSSL");
  }
  const std::string fresh = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
  // The one stored wins: SET NX GET answers it, or nil when ours was stored.
  absl::StatusOr<storage::RedisReply> stored =
      redis.Command({"SET", storage::keys::ChangeFeedPseudonymKey(), fresh, "NX", "GET"});
  if (!stored.ok()) return stored.status();
  if (stored->is_error()) {
    return absl::UnavailableError(absl::StrCat("pseudonym key: ", stored->text()));
  }
  if (stored->is_nil()) return fresh;
  absl::StatusOr<absl::string_view> key = stored->as_string();
  if (!key.ok()) return key.status();
  return std::string(*key);
}

}  // namespace convene::calendar
