#include "calendar/calendar_app.h"

#include <openssl/evp.h>

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "calendar/event_mapping.h"
#include "core/event_rules.h"
#include "core/event_sheet.h"
#include "core/log.h"
#include "core/icalendar.h"
#include "core/zone.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/util/field_mask_util.h"

namespace convene::calendar {
namespace {

using google::protobuf::util::FieldMaskUtil;

int64_t ToMillis(absl::Time t) { return absl::ToUnixMillis(t); }

storage::CalendarRecord ToRecord(const core::Event& e) {
  storage::CalendarRecord r;
  r.id = e.id;
  r.revision = e.revision;
  r.start_ms = ToMillis(e.start);
  r.end_ms = ToMillis(e.end);
  // Filters compare the wire enum numbers, which are stable by contract.
  r.status = absl::StrCat(e.status == core::EventStatus::kCancelled
                              ? v1::EVENT_STATUS_CANCELLED
                              : v1::EVENT_STATUS_SCHEDULED);
  r.format = absl::StrCat(FormatToProto(e.format));
  r.kind = absl::StrCat(KindToProto(e.kind));
  r.community = e.community;
  r.city = e.city;
  r.document = EventToDocument(e);
  return r;
}

// Paths of v1::Event a caller may change with UpdateEvent.
bool IsUpdatablePath(absl::string_view path) {
  static constexpr absl::string_view kTopLevel[] = {
      "title",      "description", "kind",         "community",
      "organisers", "city",        "country_code", "format",
      "time_zone",  "start_local", "end_local",    "venue",
      "online",     "sessions",    "allow_walk_ins", "local_time_policy"};
  const absl::string_view head = path.substr(0, path.find('.'));
  return std::find(std::begin(kTopLevel), std::end(kTopLevel), head) !=
         std::end(kTopLevel);
}

// The filters a page token is bound to, so that a token is not reused with
// other filters (which would skip or repeat events silently).
std::string QueryFingerprint(const EventQuery& q) {
  return absl::StrCat(q.from ? absl::StrCat(ToMillis(*q.from)) : "", ",",
                      q.to ? absl::StrCat(ToMillis(*q.to)) : "", ",",
                      q.community, ",", q.city, ",", static_cast<int>(q.format),
                      ",", static_cast<int>(q.kind), ",",
                      q.status ? static_cast<int>(*q.status) + 1 : 0);
}

std::string EncodePageToken(const EventQuery& q, int64_t ms,
                            const std::string& id) {
  return absl::WebSafeBase64Escape(
      absl::StrCat("v1|", ms, "|", id, "|", QueryFingerprint(q)));
}

absl::Status DecodePageToken(const EventQuery& q, int64_t& ms,
                             std::string& id) {
  std::string raw;
  const absl::Status bad = absl::InvalidArgumentError(
      "page_token: not a token from ListEvents with these filters");
  if (!absl::WebSafeBase64Unescape(q.page_token, &raw)) return bad;
  std::vector<std::string> parts = absl::StrSplit(raw, absl::MaxSplits('|', 3));
  if (parts.size() != 4 || parts[0] != "v1" || !absl::SimpleAtoi(parts[1], &ms) ||
      parts[3] != QueryFingerprint(q)) {
    return bad;
  }
  id = parts[2];
  return absl::OkStatus();
}

}  // namespace

std::string CalendarApp::EventIdForRequest(absl::string_view request_id) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(request_id.data(), request_id.size(), digest, &length,
             EVP_sha256(), nullptr);
  return absl::StrCat(
      "ev_", absl::BytesToHexString(absl::string_view(
                 reinterpret_cast<const char*>(digest), 8)));
}

CalendarApp::CalendarApp(storage::CalendarStore& store,
                         storage::EventSheetStore& sheets,
                         const core::Clock& clock)
    : store_(store), sheets_(sheets), clock_(clock) {}

void CalendarApp::PublishSheet(core::Event event, Done<core::Event> done) {
  absl::StatusOr<core::Zone> zone = core::ResolveZone(event.time_zone);
  absl::StatusOr<core::EventSheet> sheet =
      zone.ok() ? core::MakeEventSheet(event, *zone)
                : absl::StatusOr<core::EventSheet>(zone.status());
  if (!sheet.ok()) return done(std::move(event));
  sheets_.Put(*sheet, [event = std::move(event), done = std::move(done)](
                          absl::StatusOr<bool> written) mutable {
    // The calendar write has happened; a sheet that failed to follow is
    // logged, and rewritten by the next change or a retry of this call.
    if (!written.ok()) {
      core::LogWarn(absl::StrCat("event ", event.id,
                                 ": attendance sheet not updated: ",
                                 written.status().message()));
    }
    done(std::move(event));
  });
}

void CalendarApp::CreateEvent(std::string request_id, core::Event event,
                              Done<core::Event> done) {
  if (request_id.empty() || static_cast<int>(request_id.size()) > kMaxRequestId) {
    return done(absl::InvalidArgumentError(absl::StrCat(
        "request_id: must be 1-", kMaxRequestId,
        " characters (a client-chosen key that makes retries safe)")));
  }
  absl::StatusOr<core::Zone> zone =
      core::ResolveZone(event.time_zone, "event.time_zone");
  if (!zone.ok()) return done(zone.status());
  if (absl::Status s = core::PrepareEvent(event, *zone); !s.ok()) {
    return done(s);
  }
  event.id = EventIdForRequest(request_id);
  event.status = core::EventStatus::kScheduled;
  event.cancel_reason.clear();
  event.revision = 1;
  event.create_time = event.update_time = clock_.Now();
  store_.Create(ToRecord(event),
                [this, done = std::move(done)](
                    absl::StatusOr<storage::CalendarWrite> w) mutable {
                  if (!w.ok()) return done(w.status());
                  absl::StatusOr<core::Event> stored = EventFromDocument(w->document);
                  if (!stored.ok()) return done(stored.status());
                  // Also on a retry: the first call may have stopped before it.
                  PublishSheet(*std::move(stored), std::move(done));
                });
}

void CalendarApp::GetEvent(std::string id, Done<core::Event> done) {
  if (id.empty()) return done(absl::InvalidArgumentError("event_id: is required"));
  store_.Get(std::move(id), [done = std::move(done)](
                                absl::StatusOr<std::string> doc) mutable {
    if (!doc.ok()) return done(doc.status());
    done(EventFromDocument(*doc));
  });
}

void CalendarApp::Write(core::Event event, int64_t expected_revision,
                        std::string change_type, std::string reason,
                        Done<core::Event> done) {
  storage::CalendarRecord record = ToRecord(event);
  store_.Update(record, expected_revision, std::move(change_type),
                std::move(reason),
                [this, event = std::move(event), done = std::move(done)](
                    absl::StatusOr<storage::CalendarWrite> w) mutable {
                  if (!w.ok()) return done(w.status());
                  PublishSheet(std::move(event), std::move(done));
                });
}

void CalendarApp::Modify(std::string id, int64_t expected_revision,
                         absl::AnyInvocable<absl::Status(core::Event&)> change,
                         std::string change_type, std::string reason,
                         Done<core::Event> done) {
  GetEvent(id, [this, expected_revision, change = std::move(change),
                change_type = std::move(change_type),
                reason = std::move(reason), done = std::move(done)](
                   absl::StatusOr<core::Event> current) mutable {
    if (!current.ok()) return done(current.status());
    if (expected_revision != 0 && current->revision != expected_revision) {
      return done(absl::AbortedError(absl::StrCat(
          "event ", current->id, " is at revision ", current->revision,
          ", not ", expected_revision, ": re-read it and retry")));
    }
    const int64_t read_revision = current->revision;
    core::Event next = *current;
    absl::Status s = change(next);
    if (!s.ok()) return done(s);
    if (next.revision == read_revision + 1) {
      // The change did something: store it against the revision read, so a
      // concurrent writer makes this one fail with ABORTED.
      next.update_time = clock_.Now();
      return Write(std::move(next), read_revision, std::move(change_type),
                   std::move(reason), std::move(done));
    }
    done(std::move(next));
  });
}

void CalendarApp::UpdateEvent(v1::Event patch, std::vector<std::string> mask,
                              int64_t expected_revision, Done<core::Event> done) {
  if (patch.id().empty()) return done(absl::InvalidArgumentError("event.id: is required"));
  if (expected_revision <= 0) {
    return done(absl::InvalidArgumentError(
        "expected_revision: is required (the revision you read)"));
  }
  if (mask.empty()) {
    return done(absl::InvalidArgumentError(
        "update_mask: name at least one field to change"));
  }
  google::protobuf::FieldMask field_mask;
  for (const std::string& path : mask) {
    if (!FieldMaskUtil::GetFieldDescriptors(v1::Event::descriptor(), path,
                                            nullptr)) {
      return done(absl::InvalidArgumentError(absl::StrCat(
          "update_mask: \"", path, "\" is not a field of Event")));
    }
    if (!IsUpdatablePath(path)) {
      return done(absl::InvalidArgumentError(absl::StrCat(
          "update_mask: \"", path, "\" is output only")));
    }
    field_mask.add_paths(path);
  }
  std::string id = patch.id();
  Modify(
      std::move(id), expected_revision,
      [patch = std::move(patch), field_mask](core::Event& event) -> absl::Status {
        if (event.status == core::EventStatus::kCancelled) {
          return absl::FailedPreconditionError(absl::StrCat(
              "event ", event.id, " is cancelled and can no longer change"));
        }
        v1::Event merged = EventToProto(event);
        FieldMaskUtil::MergeOptions options;
        options.set_replace_message_fields(true);
        options.set_replace_repeated_fields(true);
        FieldMaskUtil::MergeMessageTo(patch, field_mask, options, &merged);
        absl::StatusOr<core::Event> next = EventFromProto(merged);
        if (!next.ok()) return next.status();
        absl::StatusOr<core::Zone> zone =
            core::ResolveZone(next->time_zone, "event.time_zone");
        if (!zone.ok()) return zone.status();
        if (absl::Status s = core::PrepareEvent(*next, *zone); !s.ok()) return s;
        next->id = event.id;
        next->status = event.status;
        next->revision = event.revision + 1;
        next->create_time = event.create_time;
        event = *std::move(next);
        return absl::OkStatus();
      },
      "updated", "", std::move(done));
}

void CalendarApp::CancelEvent(std::string id, std::string reason,
                              int64_t expected_revision, Done<core::Event> done) {
  if (id.empty()) return done(absl::InvalidArgumentError("event_id: is required"));
  if (absl::Status s = core::ValidateCancelReason(reason); !s.ok()) {
    return done(s);
  }
  if (expected_revision < 0) {
    return done(absl::InvalidArgumentError("expected_revision: must not be negative"));
  }
  std::string stored_reason = reason;
  Modify(
      std::move(id), expected_revision,
      [reason = std::move(reason)](core::Event& event) {
        if (event.status == core::EventStatus::kCancelled) return absl::OkStatus();
        event.status = core::EventStatus::kCancelled;
        event.cancel_reason = reason;
        event.revision += 1;
        return absl::OkStatus();
      },
      "cancelled", std::move(stored_reason), std::move(done));
}

void CalendarApp::ListEvents(EventQuery q, Done<EventPage> done) {
  if (q.page_size < 0) {
    return done(absl::InvalidArgumentError("page_size: must not be negative"));
  }
  if (q.from && q.to && *q.to <= *q.from) {
    return done(absl::InvalidArgumentError("to: must be after from"));
  }
  storage::CalendarQuery sq;
  if (q.from) sq.from_ms = ToMillis(*q.from);
  if (q.to) sq.to_ms = ToMillis(*q.to);
  sq.community = q.community;
  sq.city = q.city;
  if (q.format != core::EventFormat::kUnspecified) {
    sq.format = absl::StrCat(FormatToProto(q.format));
  }
  if (q.kind != core::EventKind::kUnspecified) {
    sq.kind = absl::StrCat(KindToProto(q.kind));
  }
  if (q.status) {
    sq.status = absl::StrCat(*q.status == core::EventStatus::kCancelled
                                 ? v1::EVENT_STATUS_CANCELLED
                                 : v1::EVENT_STATUS_SCHEDULED);
  }
  sq.page_size = q.page_size == 0 ? kDefaultPageSize
                                  : std::min(q.page_size, kMaxPageSize);
  if (!q.page_token.empty()) {
    int64_t ms = 0;
    std::string id;
    if (absl::Status s = DecodePageToken(q, ms, id); !s.ok()) return done(s);
    sq.after.emplace(ms, std::move(id));
  }
  store_.List(sq, [q = std::move(q), done = std::move(done)](
                      absl::StatusOr<storage::CalendarPage> page) mutable {
    if (!page.ok()) return done(page.status());
    EventPage out;
    out.sync_token = page->sync_token;
    for (const std::string& doc : page->documents) {
      absl::StatusOr<core::Event> e = EventFromDocument(doc);
      if (!e.ok()) return done(e.status());
      out.events.push_back(*std::move(e));
    }
    if (page->next) {
      out.next_page_token =
          EncodePageToken(q, page->next->first, page->next->second);
    }
    done(std::move(out));
  });
}

void CalendarApp::GetAgenda(std::string id, std::string viewer_zone,
                            Done<core::Agenda> done) {
  // Resolve the viewer's zone first: a bad zone needs no Redis round trip.
  std::optional<core::Zone> viewer;
  if (!viewer_zone.empty()) {
    absl::StatusOr<core::Zone> z =
        core::ResolveZone(viewer_zone, "viewer_time_zone");
    if (!z.ok()) return done(z.status());
    viewer = *z;
  }
  GetEvent(std::move(id), [viewer, done = std::move(done)](
                              absl::StatusOr<core::Event> e) mutable {
    if (!e.ok()) return done(e.status());
    absl::StatusOr<core::Zone> venue = core::ResolveZone(e->time_zone);
    if (!venue.ok()) return done(venue.status());
    done(core::BuildAgenda(*e, *venue, viewer ? *viewer : *venue));
  });
}

absl::StatusOr<EventChangeRecord> CalendarApp::DecodeChange(
    const storage::CalendarChange& change) {
  absl::StatusOr<core::Event> e = EventFromDocument(change.document);
  if (!e.ok()) return e.status();
  EventChangeRecord r;
  r.sync_token = change.id;
  r.type = change.type;
  r.reason = change.reason;
  r.event = *std::move(e);
  return r;
}

void CalendarApp::ListEventChanges(std::string sync_token, int page_size,
                                   Done<EventChangePage> done) {
  if (page_size < 0) {
    return done(absl::InvalidArgumentError("page_size: must not be negative"));
  }
  const int count = page_size == 0 ? kDefaultChangePage
                                   : std::min(page_size, kMaxChangePage);
  std::string from = sync_token;
  store_.ReadChanges(
      std::move(sync_token), count,
      [count, from = std::move(from), done = std::move(done)](
          absl::StatusOr<storage::CalendarChangePage> page) mutable {
        if (!page.ok()) return done(page.status());
        EventChangePage out;
        for (const storage::CalendarChange& c : page->changes) {
          absl::StatusOr<EventChangeRecord> r = DecodeChange(c);
          if (!r.ok()) return done(r.status());
          out.changes.push_back(*std::move(r));
        }
        out.has_more = static_cast<int>(page->changes.size()) == count &&
                       page->changes.back().id != page->last_id;
        out.next_sync_token = out.changes.empty()
                                  ? (from.empty() ? page->last_id : from)
                                  : out.changes.back().sync_token;
        done(std::move(out));
      });
}

struct CalendarApp::ExportState {
  ExportQuery query;
  std::vector<core::Event> events;
  Done<ICalendarExport> done;
};

void CalendarApp::ExportICalendar(ExportQuery query, Done<ICalendarExport> done) {
  auto state = std::make_shared<ExportState>();
  state->query = std::move(query);
  state->done = std::move(done);
  if (!state->query.event_id.empty()) {
    GetEvent(state->query.event_id, [this, state](absl::StatusOr<core::Event> e) {
      if (!e.ok()) return state->done(e.status());
      state->events.push_back(*std::move(e));
      FinishExport(*state);
    });
    return;
  }
  state->query.filter.page_size = kMaxPageSize;
  state->query.filter.page_token.clear();
  if (!state->query.include_cancelled) {
    state->query.filter.status = core::EventStatus::kScheduled;
  }
  ExportPage(std::move(state));
}

void CalendarApp::ExportPage(std::shared_ptr<ExportState> state) {
  EventQuery q = state->query.filter;
  ListEvents(std::move(q), [this, state](absl::StatusOr<EventPage> page) {
    if (!page.ok()) return state->done(page.status());
    for (core::Event& e : page->events) state->events.push_back(std::move(e));
    if (static_cast<int>(state->events.size()) > kMaxExportEvents) {
      return state->done(absl::OutOfRangeError(absl::StrCat(
          "more than ", kMaxExportEvents,
          " events match: narrow the window or the filters")));
    }
    if (!page->next_page_token.empty()) {
      state->query.filter.page_token = page->next_page_token;
      return ExportPage(state);
    }
    FinishExport(*state);
  });
}

void CalendarApp::FinishExport(ExportState& state) {
  core::ICalendarOptions options;
  options.now = clock_.Now();
  absl::StatusOr<std::string> text = core::ExportICalendar(state.events, options);
  if (!text.ok()) return state.done(text.status());
  ICalendarExport out;
  out.event_count = static_cast<int>(state.events.size());
  for (const core::Event& e : state.events) {
    out.vevent_count += e.sessions.empty() ? 1 : static_cast<int>(e.sessions.size());
  }
  out.text = *std::move(text);
  state.done(std::move(out));
}

}  // namespace convene::calendar
