#include "storage/event_copy_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/keys.h"
#include "storage/lua_script.h"

namespace convene::storage {
namespace {

// KEYS: copies, ends. ARGV: id, revision, end ms, document.
const LuaScript& PutScript() {
  static const LuaScript* script = new LuaScript("event_copy_put", R"lua(
    local old = redis.call('HGET', KEYS[1], ARGV[1])
    if old then
      local stored = tonumber(string.match(old, '^(%d+)|'))
      if stored and stored >= tonumber(ARGV[2]) then return 0 end
    end
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[4])
    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
    return 1
  )lua");
  return *script;
}

}  // namespace

void EventCopyStore::Put(std::string event_id, int64_t revision, int64_t end_ms,
                         std::string document, Callback<bool> done) {
  redis_.Eval(PutScript(), {keys::NotificationEvents(), keys::NotificationEventEnds()},
              {std::move(event_id), absl::StrCat(revision), absl::StrCat(end_ms),
               std::move(document)},
              [done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                if (!r.ok()) return done(r.status());
                done(r->as_integer().value_or(0) == 1);
              });
}

void EventCopyStore::Get(std::string event_id, Callback<std::string> done) {
  redis_.Command({"HGET", keys::NotificationEvents(), event_id},
                 [event_id, done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                   if (!r.ok()) return done(r.status());
                   if (r->is_nil()) {
                     return done(absl::NotFoundError(
                         absl::StrCat("event ", event_id, " not found")));
                   }
                   const std::string& value = r->text();
                   const size_t bar = value.find('|');
                   if (bar == std::string::npos) {
                     return done(absl::DataLossError(
                         absl::StrCat("event copy ", event_id, " has no revision")));
                   }
                   done(value.substr(bar + 1));
                 });
}

void EventCopyStore::EventsEndingAfter(absl::Time after,
                                       Callback<std::vector<std::string>> done) {
  const std::string from = after == absl::InfinitePast()
                               ? "-inf"
                               : absl::StrCat("(", absl::ToUnixMillis(after));
  redis_.Command({"ZRANGEBYSCORE", keys::NotificationEventEnds(), from, "+inf"},
                 [done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                   if (!r.ok()) return done(r.status());
                   std::vector<std::string> ids;
                   for (const RedisReply& e : r->elements()) ids.push_back(e.text());
                   done(std::move(ids));
                 });
}

}  // namespace convene::storage
