#include "storage/calendar_change_window.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "storage/keys.h"

namespace convene::storage {

void FindNewestCalendarDocument(
    RedisClient& redis, std::string event_id, int window,
    absl::AnyInvocable<void(absl::StatusOr<std::optional<std::string>>)> done) {
  redis.Command(
      {"XREVRANGE", keys::CalendarChanges(), "+", "-", "COUNT", absl::StrCat(window)},
      [event_id = std::move(event_id),
       done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        // Newest first: the first entry about the event is its latest state.
        for (const RedisReply& entry : reply->elements()) {
          auto parts = entry.elements();
          if (parts.size() != 2) continue;
          auto fields = parts[1].elements();
          const RedisReply* doc = nullptr;
          bool about_event = false;
          for (size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i].text() == "event") about_event = fields[i + 1].text() == event_id;
            if (fields[i].text() == "doc") doc = &fields[i + 1];
          }
          if (about_event && doc != nullptr) return done(std::optional<std::string>(doc->text()));
        }
        done(std::optional<std::string>());
      });
}

}  // namespace convene::storage
