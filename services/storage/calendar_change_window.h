// The calendar's change stream is its published interface: every change
// carries the event after it ("doc", a serialised convene.v1.Event). The
// services that keep a copy of what they need of events (attendance's
// sheets, notification's event copies) follow it; when a call names an
// event their copy does not have yet (the organiser created it a moment
// ago), they look for it among the newest changes instead of answering
// "not found".
//
//   FindNewestCalendarDocument(redis, "ev_1", 256, [](auto doc) {
//     if (doc.ok() && *doc) ... **doc ...
//   });
#ifndef CONVENE_STORAGE_CALENDAR_CHANGE_WINDOW_H_
#define CONVENE_STORAGE_CALENDAR_CHANGE_WINDOW_H_

#include <optional>
#include <string>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "storage/redis_client.h"

namespace convene::storage {

// How many of the calendar's newest changes a catch-up reads: more than an
// organiser's burst of edits, few enough to stay one cheap read.
inline constexpr int kCalendarCatchUpWindow = 256;

// The document of the newest change of `event_id` among the calendar's
// last `window` changes; nullopt when it is not among them.
void FindNewestCalendarDocument(
    RedisClient& redis, std::string event_id, int window,
    absl::AnyInvocable<void(absl::StatusOr<std::optional<std::string>>)> done);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_CALENDAR_CHANGE_WINDOW_H_
