#include "calendar/calendar_app.h"

#include <openssl/evp.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "calendar/event_mapping.h"
#include "core/event_rules.h"
#include "core/icalendar.h"
#include "core/local_date_time.h"
#include "core/log.h"
#include "core/page_token.h"
#include "core/text_limits.h"
#include "core/tzdata_version.h"
#include "core/zone.h"
#include "google/protobuf/field_mask.pb.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/field_mask_util.h"
#include "storage/request_fingerprint.h"

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
      "online",     "sessions",    "allow_walk_ins", "local_time_policy", "check_in_margin",
      "organiser_contact"};
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

// ListEvents' page tokens (core/page_token.h): the start time and id of
// the next event, "<ms>|<id>".
constexpr absl::string_view kPageTokenTag = "v1";

std::string EncodePageToken(const EventQuery& q, int64_t ms,
                            const std::string& id) {
  return core::EncodePageToken(kPageTokenTag, absl::StrCat(ms, "|", id), QueryFingerprint(q));
}

absl::Status DecodePageToken(const EventQuery& q, int64_t& ms,
                             std::string& id) {
  absl::StatusOr<std::string> position =
      core::DecodePageToken(q.page_token, kPageTokenTag, QueryFingerprint(q), "ListEvents");
  if (!position.ok()) return position.status();
  std::vector<std::string> parts = absl::StrSplit(*position, absl::MaxSplits('|', 1));
  // The start instant of an event: scheduled local times lie in
  // kFirstScheduledYear..kLastScheduledYear, and no zone is a day away
  // from UTC.
  static const int64_t kFirstStartMs = absl::ToUnixMillis(
      absl::FromCivil(absl::CivilDay(core::kFirstScheduledYear - 1, 12, 31), absl::UTCTimeZone()));
  static const int64_t kLastStartMs = absl::ToUnixMillis(
      absl::FromCivil(absl::CivilDay(core::kLastScheduledYear + 1, 1, 2), absl::UTCTimeZone()));
  if (parts.size() != 2 || !core::ParseIssuedNumber(parts[0], kFirstStartMs, kLastStartMs, ms)) {
    return core::PageTokenError("ListEvents");
  }
  id = parts[1];
  return absl::OkStatus();
}

// An event with its instants derived again under the rules `resolve_zone`
// gives, and whether any instant (event or session) changed.
struct Rederived {
  core::Event event;
  bool moved = false;
};

absl::StatusOr<Rederived> Rederive(const core::Event& e,
                                   const RetimeOptions& options) {
  absl::StatusOr<core::Zone> zone = options.resolve_zone(e.time_zone);
  if (!zone.ok()) return zone.status();
  Rederived out{e, false};
  if (absl::Status s = core::DeriveEventInstants(out.event, *zone); !s.ok()) {
    return s;
  }
  // DeriveEventInstants stamps the process's version; the rules used here
  // may be the caller's.
  out.event.tzdata_version = options.tzdata_version;
  out.moved = out.event.start != e.start || out.event.end != e.end;
  for (size_t i = 0; i < e.sessions.size() && !out.moved; ++i) {
    out.moved = out.event.sessions[i].start != e.sessions[i].start ||
                out.event.sessions[i].end != e.sessions[i].end;
  }
  return out;
}

std::string RetimeReason(const core::Event& e, absl::string_view version) {
  return absl::StrCat("tz rules changed: tzdata ",
                      e.tzdata_version.empty() ? "unknown" : e.tzdata_version,
                      " -> ", version);
}

// The fingerprint (storage::RequestFingerprint) of `event` as sent: its wire
// form, serialised deterministically (map order fixed), so a true retry
// matches and any other event does not.
std::string RequestFingerprint(const core::Event& event) {
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream out(&bytes);
    google::protobuf::io::CodedOutputStream coded(&out);
    coded.SetSerializationDeterministic(true);
    EventToProto(event).SerializeToCodedStream(&coded);
  }
  return storage::RequestFingerprint({bytes});
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

CalendarApp::CalendarApp(storage::CalendarStore& store, const core::Clock& clock)
    : store_(store), clock_(clock) {}

void CalendarApp::CreateEvent(std::string request_id, core::Event event,
                              Done<core::Event> done) {
  if (absl::Status s = core::CheckRequestId(request_id); !s.ok()) return done(s);
  // What the caller sent, before anything is derived or assigned.
  const std::string fingerprint = RequestFingerprint(event);
  absl::StatusOr<core::Zone> zone =
      core::ResolveZone(event.time_zone, "event.time_zone");
  if (!zone.ok()) return done(zone.status());
  event.removed_sessions.clear();  // output only
  if (absl::Status s = core::PrepareEvent(event, *zone); !s.ok()) {
    return done(s);
  }
  event.listed_as_whole_event = event.sessions.empty();
  event.id = EventIdForRequest(request_id);
  event.status = core::EventStatus::kScheduled;
  event.cancel_reason.clear();
  event.revision = 1;
  event.create_time = event.update_time = clock_.Now();
  store_.Create(ToRecord(event), fingerprint,
                [done = std::move(done)](
                    absl::StatusOr<storage::CalendarWrite> w) mutable {
                  if (!w.ok()) return done(w.status());
                  done(EventFromDocument(w->document));
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
                  if (applied_waiter_ == nullptr || w->change_id.empty()) {
                    return done(std::move(event));
                  }
                  // Read-your-writes for the organiser who changes an event
                  // and then registers someone: answer once attendance
                  // follows the change (bounded).
                  applied_waiter_->After(w->change_id, [event = std::move(event),
                                                        done = std::move(done)]() mutable {
                    done(std::move(event));
                  });
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
        // Removed sessions are output only: the stored ones, with their
        // instants, whatever the patch said.
        // A session not sent back with its id is removed, before new
        // sessions get ids, so that none of them gets a removed one's.
        next->removed_sessions = event.removed_sessions;
        for (const core::Session& old : event.sessions) {
          const bool kept = std::any_of(
              next->sessions.begin(), next->sessions.end(),
              [&](const core::Session& s) { return s.id == old.id; });
          if (!kept) next->removed_sessions.push_back(old);
        }
        if (absl::Status s = core::PrepareEvent(*next, *zone); !s.ok()) return s;
        // Sticky: a calendar that imported the whole-event entry keeps it
        // until told. An event stored before the flag existed tells by its
        // sessions now.
        next->listed_as_whole_event =
            event.listed_as_whole_event || event.sessions.empty() || next->sessions.empty();
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
  ReadEventDocuments(std::move(q), /*decode=*/true,
                     [done = std::move(done)](absl::StatusOr<PageRead> read) mutable {
                       if (!read.ok()) return done(read.status());
                       EventPage out;
                       out.events = std::move(read->events);
                       out.next_page_token = read->page->next_page_token;
                       out.sync_token = read->page->sync_token;
                       done(std::move(out));
                     });
}

void CalendarApp::ListEventDocuments(EventQuery q,
                                     Done<std::shared_ptr<const EventDocumentPage>> done) {
  ReadEventDocuments(std::move(q), /*decode=*/false,
                     [done = std::move(done)](absl::StatusOr<PageRead> read) mutable {
                       if (!read.ok()) return done(read.status());
                       done(std::move(read->page));
                     });
}

namespace {

absl::StatusOr<std::vector<core::Event>> DecodeEach(const std::vector<std::string>& documents) {
  std::vector<core::Event> events;
  events.reserve(documents.size());
  for (const std::string& doc : documents) {
    absl::StatusOr<core::Event> e = EventFromDocument(doc);
    if (!e.ok()) return e.status();
    events.push_back(*std::move(e));
  }
  return events;
}

}  // namespace

void CalendarApp::ReadEventDocuments(EventQuery q, bool decode, Done<PageRead> done) {
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
  absl::StatusOr<int> page_size =
      core::ResolvePageSize(q.page_size, kDefaultPageSize, kMaxPageSize);
  if (!page_size.ok()) return done(page_size.status());
  sq.page_size = *page_size;
  if (!q.page_token.empty()) {
    int64_t ms = 0;
    std::string id;
    if (absl::Status s = DecodePageToken(q, ms, id); !s.ok()) return done(s);
    sq.after.emplace(ms, std::move(id));
  }
  // Everything that picks the page, each part length-prefixed where it is
  // caller text.
  std::string key = absl::StrCat(
      sq.from_ms ? absl::StrCat(*sq.from_ms) : "-", "|", sq.to_ms ? absl::StrCat(*sq.to_ms) : "-",
      "|", sq.page_size, "|", sq.status, "|", sq.format, "|", sq.kind, "|",
      sq.after ? absl::StrCat(sq.after->first, "|", sq.after->second.size(), ":",
                              sq.after->second)
               : "-",
      "|", sq.community.size(), ":", sq.community, "|", sq.city.size(), ":", sq.city);
  store_.Head([this, decode, q = std::move(q), sq = std::move(sq), key = std::move(key),
               done = std::move(done)](absl::StatusOr<std::string> head) mutable {
    if (!head.ok()) return done(head.status());
    if (std::shared_ptr<const EventDocumentPage> kept = pages_.Find(*head, key)) {
      PageRead read{std::move(kept), {}};
      if (decode) {
        absl::StatusOr<std::vector<core::Event>> events = DecodeEach(read.page->documents);
        if (!events.ok()) return done(events.status());
        read.events = *std::move(events);
      }
      return done(std::move(read));
    }
    store_.List(sq, [this, decode, q = std::move(q), key = std::move(key),
                     done = std::move(done)](absl::StatusOr<storage::CalendarPage> page) mutable {
      if (!page.ok()) return done(page.status());
      auto out = std::make_shared<EventDocumentPage>();
      out->sync_token = page->sync_token;
      out->documents = std::move(page->documents);
      size_t kept = 0, bytes = 0;
      while (kept < out->documents.size() &&
             core::PageHasRoom(kept, bytes, out->documents[kept].size())) {
        bytes += out->documents[kept++].size();
      }
      if (kept < out->documents.size()) {
        // The next page starts after the last event this one keeps: the
        // start index orders by start instant, then id.
        absl::StatusOr<core::Event> last = EventFromDocument(out->documents[kept - 1]);
        if (!last.ok()) return done(last.status());
        out->documents.resize(kept);
        page->next.emplace(ToMillis(last->start), last->id);
      }
      if (page->next) {
        out->next_page_token = EncodePageToken(q, page->next->first, page->next->second);
      }
      PageRead read;
      if (decode) {
        absl::StatusOr<std::vector<core::Event>> events = DecodeEach(out->documents);
        if (!events.ok()) return done(events.status());
        read.events = *std::move(events);
      }
      absl::StatusOr<std::string> response = EncodeListEventsResponse(
          out->documents, out->next_page_token, out->sync_token,
          decode ? DocumentCheck::kAlreadyDecoded : DocumentCheck::kParseEach);
      if (!response.ok()) return done(response.status());
      out->response = *std::move(response);
      read.page = std::move(out);
      pages_.Put(read.page->sync_token, std::move(key), read.page);
      done(std::move(read));
    });
  });
}

void CalendarApp::GetAgenda(std::string id, std::string viewer_zone,
                            Done<core::Agenda> done) {
  GetAgendaAnswer(std::move(id), std::move(viewer_zone),
                  [done = std::move(done)](
                      absl::StatusOr<std::shared_ptr<const AgendaAnswer>> answer) mutable {
                    if (!answer.ok()) return done(answer.status());
                    done((*answer)->agenda);
                  });
}

void CalendarApp::GetAgendaAnswer(std::string id, std::string viewer_zone,
                                  Done<std::shared_ptr<const AgendaAnswer>> done) {
  // Resolve the viewer's zone first: a bad zone needs no Redis round trip.
  std::optional<core::Zone> viewer;
  if (!viewer_zone.empty()) {
    absl::StatusOr<core::Zone> z =
        core::ResolveZone(viewer_zone, "viewer_time_zone");
    if (!z.ok()) return done(z.status());
    viewer = *z;
  }
  if (id.empty()) return done(absl::InvalidArgumentError("event_id: is required"));
  store_.Get(id, [this, id, viewer, viewer_zone = std::move(viewer_zone),
                  done = std::move(done)](absl::StatusOr<std::string> doc) mutable {
    if (!doc.ok()) return done(doc.status());
    if (std::shared_ptr<const AgendaAnswer> kept = agendas_.Find(id, viewer_zone, *doc)) {
      return done(std::move(kept));
    }
    absl::StatusOr<core::Event> e = EventFromDocument(*doc);
    if (!e.ok()) return done(e.status());
    absl::StatusOr<core::Zone> venue = core::ResolveZone(e->time_zone);
    if (!venue.ok()) return done(venue.status());
    absl::StatusOr<core::Agenda> agenda = core::BuildAgenda(*e, *venue, viewer ? *viewer : *venue);
    if (!agenda.ok()) return done(agenda.status());
    auto answer = std::make_shared<AgendaAnswer>();
    answer->response = AgendaToProto(*agenda).SerializeAsString();
    answer->agenda = *std::move(agenda);
    std::shared_ptr<const AgendaAnswer> kept = std::move(answer);
    agendas_.Put(id, viewer_zone, *std::move(doc), kept);
    done(std::move(kept));
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
  absl::StatusOr<int> resolved =
      core::ResolvePageSize(page_size, kDefaultChangePage, kMaxChangePage);
  if (!resolved.ok()) return done(resolved.status());
  const int count = *resolved;
  std::string from = sync_token;
  store_.ReadChanges(
      std::move(sync_token), count,
      [count, from = std::move(from), done = std::move(done)](
          absl::StatusOr<storage::CalendarChangePage> page) mutable {
        if (!page.ok()) return done(page.status());
        EventChangePage out;
        size_t bytes = 0;
        bool cut = false;
        for (const storage::CalendarChange& c : page->changes) {
          if (!core::PageHasRoom(out.changes.size(), bytes, c.document.size())) {
            cut = true;
            break;
          }
          bytes += c.document.size();
          absl::StatusOr<EventChangeRecord> r = DecodeChange(c);
          if (!r.ok()) return done(r.status());
          out.changes.push_back(*std::move(r));
        }
        out.has_more = cut || (static_cast<int>(page->changes.size()) == count &&
                               page->changes.back().id != page->last_position);
        out.next_sync_token = out.changes.empty()
                                  ? (from.empty() ? page->last_position : from)
                                  : out.changes.back().sync_token;
        done(std::move(out));
      });
}

struct CalendarApp::RetimeState {
  absl::Time now;
  RetimeOptions options;
  // Read in full before any rewrite: a rewrite moves the event in the start
  // index that the listing pages through.
  std::vector<core::Event> candidates;
  size_t next = 0;
  RetimeReport report;
  Done<RetimeReport> done;
};

void CalendarApp::RetimeFutureEvents(absl::Time now, RetimeOptions options,
                                     Done<RetimeReport> done) {
  auto state = std::make_shared<RetimeState>();
  state->now = now;
  if (!options.resolve_zone) {
    options.resolve_zone = [](absl::string_view name) {
      return core::ResolveZone(name);
    };
  }
  if (options.tzdata_version.empty()) options.tzdata_version = core::TzdataVersion();
  state->report.dry_run = options.dry_run;
  state->report.tzdata_version = options.tzdata_version;
  state->options = std::move(options);
  state->done = std::move(done);
  if (state->options.record_in == nullptr) {
    return CollectRetimeCandidates(std::move(state), "");
  }
  state->options.record_in->Get(
      [this, state](absl::StatusOr<std::optional<std::string>> recorded) {
        if (!recorded.ok()) return state->done(recorded.status());
        state->report.recorded_version = *recorded;
        CollectRetimeCandidates(state, "");
      });
}

void CalendarApp::CollectRetimeCandidates(std::shared_ptr<RetimeState> state,
                                          std::string page_token) {
  EventQuery q;
  q.from = state->now;  // overlapping [now, ...): ends after now
  q.status = core::EventStatus::kScheduled;
  q.page_size = kMaxPageSize;
  q.page_token = std::move(page_token);
  ListEvents(std::move(q), [this, state](absl::StatusOr<EventPage> page) {
    if (!page.ok()) return state->done(page.status());
    for (core::Event& e : page->events) state->candidates.push_back(std::move(e));
    if (!page->next_page_token.empty()) {
      return CollectRetimeCandidates(state, page->next_page_token);
    }
    RetimeNext(state);
  });
}

void CalendarApp::RetimeNext(std::shared_ptr<RetimeState> state) {
  while (state->next < state->candidates.size()) {
    const size_t index = state->next++;
    const core::Event& e = state->candidates[index];
    ++state->report.examined;
    absl::StatusOr<Rederived> r = Rederive(e, state->options);
    if (!r.ok()) {
      state->report.needs_attention.push_back({e.id, e.time_zone, r.status()});
      continue;
    }
    if (!r->moved) continue;
    if (state->options.dry_run) {
      state->report.moved.push_back({e.id, e.title, e.time_zone, e.start_local,
                                     e.start, r->event.start, e.tzdata_version,
                                     e.revision});
      continue;
    }
    // One rewrite at a time; its callback continues the loop.
    return RewriteRetimed(std::move(state), index, /*attempts_left=*/3);
  }
  FinishRetime(std::move(state));
}

void CalendarApp::RewriteRetimed(std::shared_ptr<RetimeState> state,
                                 size_t index, int attempts_left) {
  const core::Event& listed = state->candidates[index];
  // Modify re-reads the event and derives again from what it finds, so an
  // update made since the listing is kept, not overwritten.
  Modify(
      listed.id, 0,
      [state](core::Event& current) -> absl::Status {
        if (current.status == core::EventStatus::kCancelled) {
          return absl::OkStatus();  // cancelled meanwhile: nothing to move
        }
        absl::StatusOr<Rederived> r = Rederive(current, state->options);
        if (!r.ok()) return r.status();
        if (!r->moved) return absl::OkStatus();
        const int64_t revision = current.revision;
        current = std::move(r->event);
        current.revision = revision + 1;
        return absl::OkStatus();
      },
      "updated", RetimeReason(listed, state->options.tzdata_version),
      [this, state, index, attempts_left](absl::StatusOr<core::Event> after) {
        const core::Event& listed = state->candidates[index];
        if (absl::IsAborted(after.status()) && attempts_left > 1) {
          return RewriteRetimed(state, index, attempts_left - 1);
        }
        if (!after.ok()) {
          state->report.needs_attention.push_back(
              {listed.id, listed.time_zone,
               absl::Status(after.status().code(),
                            absl::StrCat("not rewritten: ",
                                         after.status().message()))});
        } else if (after->revision > listed.revision &&
                   after->tzdata_version == state->options.tzdata_version) {
          state->report.moved.push_back(
              {listed.id, listed.title, listed.time_zone, listed.start_local,
               listed.start, after->start, listed.tzdata_version,
               after->revision});
        }
        RetimeNext(state);
      });
}

void CalendarApp::FinishRetime(std::shared_ptr<RetimeState> state) {
  RetimeReport& report = state->report;
  // The key promises that every future event is current under the version:
  // not after a dry run, and not while some event still needs a person.
  if (report.dry_run || !report.needs_attention.empty() ||
      state->options.record_in == nullptr) {
    return state->done(std::move(report));
  }
  state->options.record_in->Set(
      report.tzdata_version, [state](absl::StatusOr<bool> written) {
        // The events are rewritten either way; the report says what holds.
        if (!written.ok()) {
          core::LogWarn(absl::StrCat("retime: tzdata version not recorded: ",
                                     written.status().message()));
        }
        state->report.version_recorded = written.ok();
        state->done(std::move(state->report));
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
  // One answer: the page rule of the lists bounds it too.
  if (text->size() > core::kMaxPageBytes) {
    if (!state.query.event_id.empty()) {
      // Nothing to narrow: its sessions each repeat the event's description.
      return state.done(absl::OutOfRangeError(absl::StrCat(
          "the calendar of event ", state.query.event_id, " is ", text->size(),
          " bytes, more than one answer holds (", core::kMaxPageBytes,
          "): shorten its description or give its sessions descriptions of their own")));
    }
    return state.done(absl::OutOfRangeError(absl::StrCat(
        "the calendar of ", state.events.size(), " events is ", text->size(),
        " bytes, more than one answer holds (", core::kMaxPageBytes,
        "): narrow the window or the filters")));
  }
  ICalendarExport out;
  out.event_count = static_cast<int>(state.events.size());
  // Counted in what was written, so that the cancelled entries (removed
  // sessions, a whole-event entry sessions replaced) count as the VEVENTs
  // they are. A component starts a line; text values never hold a CRLF.
  constexpr std::string_view kVevent = "\r\nBEGIN:VEVENT\r\n";
  for (size_t at = text->find(kVevent); at != std::string::npos;
       at = text->find(kVevent, at + kVevent.size())) {
    ++out.vevent_count;
  }
  out.text = *std::move(text);
  state.done(std::move(out));
}

}  // namespace convene::calendar
