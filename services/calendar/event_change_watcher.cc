#include "calendar/event_change_watcher.h"

#include <utility>

#include "calendar/event_mapping.h"
#include "rpc/proto_time.h"
#include "calendar/calendar_store.h"
#include "storage/stream_position.h"

namespace convene::calendar {

v1::EventChange EventChangeToProto(const EventChangeRecord& c) {
  v1::EventChange w;
  if (c.type == "created") {
    w.set_type(v1::EVENT_CHANGE_TYPE_CREATED);
  } else if (c.type == "cancelled") {
    w.set_type(v1::EVENT_CHANGE_TYPE_CANCELLED);
  } else {
    w.set_type(v1::EVENT_CHANGE_TYPE_UPDATED);
  }
  w.set_event_id(c.event.id);
  w.set_revision(c.event.revision);
  *w.mutable_change_time() = rpc::TimeToProto(c.event.update_time);
  *w.mutable_event() = EventToProto(c.event);
  w.set_sync_token(c.sync_token);
  w.set_reason(c.reason);
  return w;
}

EventChangeWatcher::Source EventChangeSource(CalendarApp& app) {
  EventChangeWatcher::Source source;
  source.replay = [&app](std::string from, EventChangeWatcher::PageDone done) {
    app.ListEventChanges(
        std::move(from), CalendarApp::kMaxChangePage,
        [done = std::move(done)](absl::StatusOr<EventChangePage> page) mutable {
          if (!page.ok()) return done(page.status());
          EventChangeWatcher::Page out;
          for (const EventChangeRecord& c : page->changes) {
            out.messages.push_back(EventChangeToProto(c));
          }
          out.next = page->next_sync_token;
          out.has_more = page->has_more;
          done(std::move(out));
        });
  };
  source.head = [&app](auto done) { app.EventChangesHead(std::move(done)); };
  source.decode = [](const storage::RedisReply& entry,
                     const std::string& epoch) -> std::optional<v1::EventChange> {
    absl::StatusOr<storage::CalendarChange> raw =
        storage::CalendarStore::ParseChange(entry);
    if (!raw.ok()) return std::nullopt;
    raw->id = storage::EncodeStreamPosition({epoch, raw->id});
    absl::StatusOr<EventChangeRecord> change = CalendarApp::DecodeChange(*raw);
    if (!change.ok()) return std::nullopt;
    return EventChangeToProto(*change);
  };
  source.position = [](const v1::EventChange& c) { return c.sync_token(); };
  source.field = "sync_token";
  return source;
}

}  // namespace convene::calendar
