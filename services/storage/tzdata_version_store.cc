#include "storage/tzdata_version_store.h"

#include <utility>

#include "absl/status/status.h"
#include "storage/keys.h"
#include "storage/redis_reply.h"

namespace convene::storage {

void TzdataVersionStore::Get(Callback<std::optional<std::string>> done) {
  redis_.Command({"GET", storage::keys::TzdataVersion()},
                 [done = std::move(done)](
                     absl::StatusOr<storage::RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   if (reply->is_nil()) return done(std::optional<std::string>());
                   absl::StatusOr<absl::string_view> text = reply->as_string();
                   if (!text.ok()) return done(text.status());
                   done(std::optional<std::string>(std::string(*text)));
                 });
}

void TzdataVersionStore::Set(std::string version, Callback<bool> done) {
  redis_.Command({"SET", storage::keys::TzdataVersion(), std::move(version)},
                 [done = std::move(done)](
                     absl::StatusOr<storage::RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   done(true);
                 });
}

void TzdataVersionStore::SetIfAbsent(std::string version, Callback<bool> done) {
  redis_.Command(
      {"SET", storage::keys::TzdataVersion(), std::move(version), "NX"},
      [done = std::move(done)](absl::StatusOr<storage::RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        // SET NX answers OK when it wrote and nil when the key existed.
        done(!reply->is_nil());
      });
}

}  // namespace convene::storage
