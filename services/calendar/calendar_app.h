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

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "calendar/agenda_cache.h"
#include "calendar/change_applied_waiter.h"
#include "storage/tzdata_version_store.h"
#include "convene/v1/calendar.pb.h"
#include "core/agenda.h"
#include "core/clock.h"
#include "core/event.h"
#include "calendar/calendar_store.h"
#include "calendar/event_page_cache.h"

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

// How RetimeFutureEvents works.
struct RetimeOptions {
  // Report what would move, and write nothing.
  bool dry_run = false;
  // The zone rules to re-derive with, and their version. Unset: the
  // process's own, core::ResolveZone() and core::TzdataVersion(), which
  // follow CONVENE_TZDIR. Tests pass rules of their own.
  std::function<absl::StatusOr<core::Zone>(absl::string_view)> resolve_zone;
  std::string tzdata_version;
  // Where to record the version once every future event is current under
  // it; null: nowhere (the report says it was not recorded).
  storage::TzdataVersionStore* record_in = nullptr;
};

// One event whose instants the new rules move.
struct RetimedEvent {
  std::string event_id;
  std::string title;
  std::string time_zone;
  absl::CivilSecond start_local;  // unchanged: local time is the truth
  absl::Time old_start;
  absl::Time new_start;
  std::string old_tzdata_version;
  // After the rewrite (a dry run: the revision read).
  int64_t revision = 0;
};

// An event retiming left alone because it needs a person: under the new
// rules a local time of it falls in a gap or overlap and its
// local_time_policy is REJECT, its zone is gone, or rewriting it failed.
struct RetimeProblem {
  std::string event_id;
  std::string time_zone;
  absl::Status status;
};

struct RetimeReport {
  bool dry_run = false;
  // The version re-derived with, and the one recorded before (nullopt:
  // none was, or no store was given).
  std::string tzdata_version;
  std::optional<std::string> recorded_version;
  // Scheduled events ending after `now`, all of which were re-derived.
  int examined = 0;
  std::vector<RetimedEvent> moved;
  std::vector<RetimeProblem> needs_attention;
  // True when tzdata_version was written to the store: not a dry run, and
  // nothing needs attention.
  bool version_recorded = false;
};

class CalendarApp {
 public:
  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 500;
  static constexpr int kDefaultChangePage = 100;
  static constexpr int kMaxChangePage = 1000;

  // `store` and `clock` must outlive the app.
  CalendarApp(storage::CalendarStore& store, const core::Clock& clock);

  // With a waiter, UpdateEvent and CancelEvent answer once attendance has
  // taken the change (bounded; change_applied_waiter.h). `waiter` must
  // outlive the app.
  void set_change_applied_waiter(ChangeAppliedWaiter* waiter) { applied_waiter_ = waiter; }

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
  // ListEvents without decoding the events: the page as stored and as it
  // goes on the wire. A page asked for again while the calendar is
  // unchanged comes from the page cache (event_page_cache.h), after one
  // read of the calendar's head.
  void ListEventDocuments(EventQuery query,
                          Done<std::shared_ptr<const EventDocumentPage>> done);

  // The agenda of one event for a viewer zone ("" = the event's zone).
  void GetAgenda(std::string id, std::string viewer_zone,
                 Done<core::Agenda> done);
  // The same with its wire form; a repeated request for an unchanged event
  // comes from the agenda cache.
  void GetAgendaAnswer(std::string id, std::string viewer_zone,
                       Done<std::shared_ptr<const AgendaAnswer>> done);

  void ListEventChanges(std::string sync_token, int page_size,
                        Done<EventChangePage> done);
  // The sync token of the newest change (where a watcher from now starts).
  void EventChangesHead(Done<std::string> done) { store_.ChangesHead(std::move(done)); }

  // RFC 5545 text for one event (cancelled ones included) or for a filter
  // (at most kMaxExportEvents events; more: narrow the filter).
  void ExportICalendar(ExportQuery query, Done<ICalendarExport> done);
  static constexpr int kMaxExportEvents = 2000;

  // After a tz database change: re-derives the instants of every scheduled
  // event that ends after `now` from its local times and zone, and rewrites
  // each one that moved as an ordinary update (revision + 1, reason
  // "tz rules changed: tzdata OLD -> NEW"), which moves its index entry
  // and, through the change stream, its attendance sheet and reminders.
  // Events that did not move are not rewritten, whatever version they
  // record: an update nobody's calendar needs would only
  // churn every sync client. Gaps and overlaps are resolved by the event's
  // local_time_policy; under REJECT the event is reported, not guessed.
  // Events are rewritten one at a time, each against the revision it was
  // read at (retried on a concurrent change), so it is safe beside live
  // traffic and safe to run again: a second run moves nothing.
  void RetimeFutureEvents(absl::Time now, RetimeOptions options,
                          Done<RetimeReport> done);

  // Decodes one stored change (used by live watchers too); its sync token
  // is `change.id`.
  static absl::StatusOr<EventChangeRecord> DecodeChange(
      const storage::CalendarChange& change);

  // "ev_" + 16 hex digits of SHA-256(request_id).
  static std::string EventIdForRequest(absl::string_view request_id);

 private:
  // A page as read (from the page cache or from Redis) and, when asked
  // for, its events decoded.
  struct PageRead {
    std::shared_ptr<const EventDocumentPage> page;
    std::vector<core::Event> events;
  };
  // The work of ListEvents (`decode`) and ListEventDocuments. A page read
  // from Redis is encoded for the wire and kept in the page cache either
  // way; when its events are decoded too, decoding is what checks that each
  // document parses, so each is parsed once, not twice.
  void ReadEventDocuments(EventQuery query, bool decode, Done<PageRead> done);
  // Re-reads, applies `change` to a copy, checks the rules and writes with
  // the revision read (or `expected_revision` when non-zero).
  void Modify(std::string id, int64_t expected_revision,
              absl::AnyInvocable<absl::Status(core::Event&)> change,
              std::string change_type, std::string reason,
              Done<core::Event> done);
  struct RetimeState;
  void CollectRetimeCandidates(std::shared_ptr<RetimeState> state,
                               std::string page_token);
  void RetimeNext(std::shared_ptr<RetimeState> state);
  void RewriteRetimed(std::shared_ptr<RetimeState> state, size_t index,
                      int attempts_left);
  void FinishRetime(std::shared_ptr<RetimeState> state);
  struct ExportState;
  void ExportPage(std::shared_ptr<ExportState> state);
  void FinishExport(ExportState& state);
  void Write(core::Event event, int64_t expected_revision,
             std::string change_type, std::string reason,
             Done<core::Event> done);

  storage::CalendarStore& store_;
  const core::Clock& clock_;
  ChangeAppliedWaiter* applied_waiter_ = nullptr;
  AgendaCache agendas_;
  EventPageCache pages_;
};

}  // namespace convene::calendar

#endif  // CONVENE_CALENDAR_CALENDAR_APP_H_
