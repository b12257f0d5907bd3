#include "notification/event_copy_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "notification/revision_guarded_copy.h"
#include "storage/keys.h"

namespace convene::storage {

void EventCopyStore::Put(std::string event_id, int64_t revision, int64_t end_ms,
                         std::string document, Callback<bool> done) {
  redis_.Eval(internal::RevisionGuardedCopyPut(),
              {keys::NotificationEvents(), keys::NotificationEventEnds()},
              {std::move(event_id), absl::StrCat(revision), std::move(document),
               absl::StrCat(end_ms)},
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
                   done(internal::ValueOfCopy(r->text(), absl::StrCat("event copy ", event_id)));
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
