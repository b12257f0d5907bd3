// EventReader: the events reminders are planned and rendered for, as the
// calendar stored them (its event documents, decoded by mapping/).
//
//   EventReader events(calendar_store);
//   events.GetEvent("ev_1", [](absl::StatusOr<core::Event> e) { ... });
//
// It reads the calendar's keyspace: the one place notification still does
// (services/README.md, "Who owns what"); the step after is a copy of its own
// kept from the calendar's change stream, which carries each event after
// each change.
#ifndef CONVENE_NOTIFICATION_EVENT_READER_H_
#define CONVENE_NOTIFICATION_EVENT_READER_H_

#include <string>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/event.h"
#include "mapping/event_mapping.h"
#include "storage/calendar_store.h"

namespace convene::notification {

class EventReader {
 public:
  // `store` must outlive the reader.
  explicit EventReader(storage::CalendarStore& store) : store_(store) {}

  // NOT_FOUND for an unknown id.
  void GetEvent(std::string id, absl::AnyInvocable<void(absl::StatusOr<core::Event>)> done) {
    if (id.empty()) return done(absl::InvalidArgumentError("event_id: is required"));
    store_.Get(std::move(id), [done = std::move(done)](absl::StatusOr<std::string> doc) mutable {
      if (!doc.ok()) return done(doc.status());
      done(mapping::EventFromDocument(*doc));
    });
  }

 private:
  storage::CalendarStore& store_;
};

}  // namespace convene::notification

#endif  // CONVENE_NOTIFICATION_EVENT_READER_H_
