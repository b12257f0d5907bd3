// WatchEventChanges: the calendar's change stream as a resumable server
// stream (resumable_watcher.h), replaying after the caller's sync token and
// then following the process's tailer of the calendar change stream.
#ifndef CONVENE_CALENDAR_EVENT_CHANGE_WATCHER_H_
#define CONVENE_CALENDAR_EVENT_CHANGE_WATCHER_H_

#include "calendar/calendar_app.h"
#include "calendar/resumable_watcher.h"
#include "convene/v1/calendar.grpc.pb.h"

namespace convene::calendar {

using EventChangeWatcher = ResumableWatcher<v1::EventChange>;

// Replays through `app` (which must outlive the watchers) and decodes live
// calendar stream entries.
EventChangeWatcher::Source EventChangeSource(CalendarApp& app);

// Maps a decoded change to the wire.
v1::EventChange EventChangeToProto(const EventChangeRecord& change);

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_EVENT_CHANGE_WATCHER_H_
