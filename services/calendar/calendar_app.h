// CalendarApp: the calendar's use cases (create, read, change, cancel, list,
// agenda, export, changes), over CalendarStore, with no gRPC in sight: a
// plain class built from plain arguments, so tests drive it directly.
//
//   CalendarApp app(store, clock);
//   app.CreateEvent("req-42", event, [](absl::StatusOr<core::Event> e) {...});
//
// Every method completes its callback exactly once, possibly on the Redis
// client's loop thread; callbacks must be quick.
#ifndef CONVENE_CALENDAR_CALENDAR_APP_H_
#define CONVENE_CALENDAR_CALENDAR_APP_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "convene/v1/calendar.pb.h"
#include "core/agenda.h"
#include "core/clock.h"
#include "core/event.h"
#include "storage/calendar_store.h"
#include "storage/event_sheet_store.h"

namespace convene::calendar {

template <typename T>
using Done = absl::AnyInvocable<void(absl::StatusOr<T>)>;

// A ListEvents request in domain terms.
struct EventQuery {
  std::optional<absl::Time> from;
  std::optional<absl::Time> to;
  std::string community;
  std::string city;
  core::EventFormat format = core::EventFormat::kUnspecified;
  core::EventKind kind = core::EventKind::kUnspecified;
  std::optional<core::EventStatus> status;
  int page_size = 0;  // 0: the default
  std::string page_token;
};

struct EventPage {
  std::vector<core::Event> events;
  std::string next_page_token;
  std::string sync_token;
};

// A change of the calendar feed, decoded.
struct EventChangeRecord {
  std::string sync_token;
  std::string type;  // "created", "updated", "cancelled"
  std::string reason;
  core::Event event;  // after the change
};

// An ExportICalendar request: one event, or every event matching a filter.
struct ExportQuery {
  std::string event_id;
  EventQuery filter;  // page fields ignored
  bool include_cancelled = false;
};

struct ICalendarExport {
  std::string text;
  int vevent_count = 0;
  int event_count = 0;
};

struct EventChangePage {
  std::vector<EventChangeRecord> changes;
  std::string next_sync_token;
  bool has_more = false;
};

class CalendarApp {
 public:
  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 500;
  static constexpr int kDefaultChangePage = 100;
  static constexpr int kMaxChangePage = 1000;
  static constexpr int kMaxRequestId = 128;

  // `store`, `sheets` and `clock` must outlive the app.
  CalendarApp(storage::CalendarStore& store, storage::EventSheetStore& sheets,
              const core::Clock& clock);

  // Validates and stores a new event. The id is derived from `request_id`,
  // so a retry finds and returns the event the first call made.
  void CreateEvent(std::string request_id, core::Event event,
                   Done<core::Event> done);

  void GetEvent(std::string id, Done<core::Event> done);

  // Applies `mask` paths of `patch` (wire form, so that "unset" is
  // expressible) to the stored event if it is still at expected_revision.
  void UpdateEvent(v1::Event patch, std::vector<std::string> mask,
                   int64_t expected_revision, Done<core::Event> done);

  // Marks the event cancelled with `reason` (expected_revision 0: any).
  // Cancelling a cancelled event returns it unchanged.
  void CancelEvent(std::string id, std::string reason,
                   int64_t expected_revision, Done<core::Event> done);

  void ListEvents(EventQuery query, Done<EventPage> done);

  // The agenda of one event for a viewer zone ("" = the event's zone).
  void GetAgenda(std::string id, std::string viewer_zone,
                 Done<core::Agenda> done);

  void ListEventChanges(std::string sync_token, int page_size,
                        Done<EventChangePage> done);

  // RFC 5545 text for one event (cancelled ones included) or for a filter
  // (at most kMaxExportEvents events; more: narrow the filter).
  void ExportICalendar(ExportQuery query, Done<ICalendarExport> done);
  static constexpr int kMaxExportEvents = 2000;

  // Decodes one stored change (used by live watchers too).
  static absl::StatusOr<EventChangeRecord> DecodeChange(
      const storage::CalendarChange& change);

  // "ev_" + 16 hex digits of SHA-256(request_id).
  static std::string EventIdForRequest(absl::string_view request_id);

 private:
  // Re-reads, applies `change` to a copy, checks the rules and writes with
  // the revision read (or `expected_revision` when non-zero).
  void Modify(std::string id, int64_t expected_revision,
              absl::AnyInvocable<absl::Status(core::Event&)> change,
              std::string change_type, std::string reason,
              Done<core::Event> done);
  struct ExportState;
  void ExportPage(std::shared_ptr<ExportState> state);
  void FinishExport(ExportState& state);
  void Write(core::Event event, int64_t expected_revision,
             std::string change_type, std::string reason,
             Done<core::Event> done);

  // Copies the attendance-relevant part of a stored event next to its
  // attendance data, then completes `done` with the event.
  void PublishSheet(core::Event event, Done<core::Event> done);

  storage::CalendarStore& store_;
  storage::EventSheetStore& sheets_;
  const core::Clock& clock_;
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CALENDAR_APP_H_
