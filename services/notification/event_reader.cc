#include "notification/event_reader.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mapping/event_mapping.h"
#include "storage/calendar_change_window.h"

namespace convene::notification {

void EventReader::Remember(std::string document, Done<core::Event> done) {
  absl::StatusOr<core::Event> event = mapping::EventFromDocument(document);
  if (!event.ok()) return done(event.status());
  const std::string id = event->id;
  const int64_t revision = event->revision;
  const int64_t end_ms = absl::ToUnixMillis(event->end);
  copies_.Put(id, revision, end_ms, std::move(document),
              [event = *std::move(event), done = std::move(done)](
                  absl::StatusOr<bool> written) mutable {
                if (!written.ok()) return done(written.status());
                done(std::move(event));
              });
}

void EventReader::GetEvent(std::string id, Done<core::Event> done) {
  if (id.empty()) return done(absl::InvalidArgumentError("event_id: is required"));
  copies_.Get(id, [this, id, done = std::move(done)](absl::StatusOr<std::string> doc) mutable {
    if (doc.ok()) return done(mapping::EventFromDocument(*doc));
    if (!absl::IsNotFound(doc.status())) return done(doc.status());
    storage::FindNewestCalendarDocument(
        redis_, id, storage::kCalendarCatchUpWindow,
        [this, id, missing = doc.status(), done = std::move(done)](
            absl::StatusOr<std::optional<std::string>> found) mutable {
          if (!found.ok()) return done(found.status());
          if (!*found) return done(missing);
          Remember(**std::move(found), std::move(done));
        });
  });
}

}  // namespace convene::notification
