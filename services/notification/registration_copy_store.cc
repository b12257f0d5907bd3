#include "notification/registration_copy_store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "notification/revision_guarded_copy.h"
#include "storage/keys.h"

namespace convene::storage {
namespace {

constexpr int kPageHint = 500;

}  // namespace

void RegistrationCopyStore::Put(std::string event_id, std::string participant_id,
                                int64_t revision, std::string record, Callback<bool> done) {
  redis_.Eval(internal::RevisionGuardedCopyPut(), {keys::NotificationRegistrations(event_id)},
              {std::move(participant_id), absl::StrCat(revision), std::move(record)},
              [done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                if (!r.ok()) return done(r.status());
                done(r->as_integer().value_or(0) == 1);
              });
}

void RegistrationCopyStore::Get(std::string event_id, std::string participant_id,
                                Callback<std::string> done) {
  redis_.Command(
      {"HGET", keys::NotificationRegistrations(event_id), participant_id},
      [event_id, participant_id, done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
        if (!r.ok()) return done(r.status());
        if (r->is_nil()) {
          return done(absl::NotFoundError(absl::StrCat(
              "no copy of the registration of ", participant_id, " for event ", event_id)));
        }
        done(internal::ValueOfCopy(
            r->text(), absl::StrCat("registration copy of ", participant_id)));
      });
}

void RegistrationCopyStore::List(std::string event_id, std::string cursor,
                                 Callback<Page> done) {
  redis_.Command({"HSCAN", keys::NotificationRegistrations(event_id), std::move(cursor),
                  "COUNT", absl::StrCat(kPageHint)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                   if (!r.ok()) return done(r.status());
                   const auto& parts = r->elements();
                   if (parts.size() != 2) {
                     return done(absl::InternalError("HSCAN: unexpected reply"));
                   }
                   Page page;
                   page.next_cursor = parts[0].text();
                   const auto& pairs = parts[1].elements();
                   for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
                     absl::StatusOr<std::string> record = internal::ValueOfCopy(
                         pairs[i + 1].text(),
                         absl::StrCat("registration copy of ", pairs[i].text()));
                     if (!record.ok()) return done(record.status());
                     page.copies.emplace_back(pairs[i].text(), *std::move(record));
                   }
                   done(std::move(page));
                 });
}

void RegistrationCopyStore::Forget(std::string event_id, std::string participant_id,
                                   Callback<bool> done) {
  redis_.Command({"HDEL", keys::NotificationRegistrations(event_id), participant_id},
                 [done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                   if (!r.ok()) return done(r.status());
                   done(r->as_integer().value_or(0) == 1);
                 });
}

}  // namespace convene::storage
