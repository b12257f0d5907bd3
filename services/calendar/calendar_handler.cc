#include "calendar/calendar_handler.h"

#include <atomic>
#include <memory>
#include <utility>

#include "auth/rpc_policy.h"
#include "auth/token_authenticator.h"
#include "calendar/change_mapping.h"
#include "calendar/event_mapping.h"
#include "core/access_policy.h"
#include "rpc/proto_time.h"
#include "rpc/raw_message.h"
#include "rpc/status_conversion.h"
#include "rpc/unary_reply.h"
#include "storage/stream_position.h"

namespace convene::calendar {
namespace {

using rpc::FinishNow;
using rpc::Reply;

void PutEvent(const core::Event& e, v1::Event& out) { out = EventToProto(e); }

// Checks the caller's scope (the policy of `request`, ListChanges or
// WatchChanges) and the request's filters.
absl::StatusOr<ChangeQuery> ChangeQueryFor(const grpc::ServerContextBase& context,
                                           const google::protobuf::Message& request,
                                           std::string position, std::string event_id,
                                           const google::protobuf::RepeatedField<int>& kinds) {
  if (absl::Status allowed = auth::AdmitRequest(context, request); !allowed.ok()) {
    return allowed;
  }
  if (event_id.size() > 128) {
    return absl::InvalidArgumentError("event_id: longer than 128 characters");
  }
  absl::StatusOr<absl::flat_hash_set<std::string>> names = ChangeKindNames(kinds, "kinds");
  if (!names.ok()) return names.status();
  ChangeQuery q;
  q.position = std::move(position);
  q.event_id = std::move(event_id);
  q.kinds = *std::move(names);
  return q;
}

// NOT_FOUND naming the field when `event_id` is no event, as GetEvent
// answers: a feed filtered by a mistyped id would otherwise answer empty
// pages (or an idle stream) for ever. Cancelled events are kept, and the
// caller's scope was checked before, so an id outside it is PERMISSION_DENIED
// whether or not it exists: nothing about other events leaks.
void CheckEventKnown(CalendarApp& app, const std::string& event_id,
                     absl::AnyInvocable<void(absl::Status)> done) {
  app.GetEvent(event_id, [event_id, done = std::move(done)](
                             absl::StatusOr<core::Event> e) mutable {
    if (absl::IsNotFound(e.status())) {
      return done(absl::NotFoundError(
          absl::StrCat("event_id: no event ", event_id)));
    }
    done(e.status());
  });
}

// WatchChanges: replays through the feed app, then follows the feed tailer,
// both filtered by the query; an unknown event_id ends it with NOT_FOUND
// before anything is sent.
CalendarHandler::ChangeWatcher::Source ChangeSource(CalendarApp& app, ChangeFeedApp& feed,
                                                    ChangeQuery query,
                                                    ChangeAudience audience) {
  CalendarHandler::ChangeWatcher::Source source;
  // The stream's first read (its head, or the first replay page) waits for
  // the check; later reads need none.
  auto checked = std::make_shared<std::atomic<bool>>(query.event_id.empty());
  auto after_check = [&app, checked, event_id = query.event_id](
                         absl::AnyInvocable<void(absl::Status)> then) {
    if (checked->load()) return then(absl::OkStatus());
    CheckEventKnown(app, event_id, [checked, then = std::move(then)](absl::Status s) mutable {
      if (s.ok()) checked->store(true);
      then(std::move(s));
    });
  };
  source.replay = [after_check, &feed, query, audience](
                      std::string from, CalendarHandler::ChangeWatcher::PageDone done) {
    after_check([&feed, query, audience, from = std::move(from),
                 done = std::move(done)](absl::Status known) mutable {
    if (!known.ok()) return done(known);
    ChangeQuery page = query;
    page.position = std::move(from);
    page.page_size = ChangeFeedApp::kMaxPageSize;
    feed.ListChanges(std::move(page), [done = std::move(done), audience](
                                          absl::StatusOr<ChangeSlice> slice) mutable {
      if (!slice.ok()) return done(slice.status());
      CalendarHandler::ChangeWatcher::Page out;
      for (const storage::FeedEntry& e : slice->entries) {
        absl::StatusOr<v1::Change> c = ChangeToProto(e);
        if (!c.ok()) return done(c.status());
        ShapeForAudience(*c, audience, e);
        out.messages.push_back(*std::move(c));
      }
      out.next = slice->next_position;
      out.has_more = slice->has_more;
      done(std::move(out));
    });
    });
  };
  source.head = [after_check, &feed](auto done) {
    after_check([&feed, done = std::move(done)](absl::Status known) mutable {
      if (!known.ok()) return done(known);
      feed.Head(std::move(done));
    });
  };
  // Live entries name participants by pseudonym; callers who see ids get
  // them (while kept) from the same read as the replay's.
  source.decode_batch = [&feed, query, audience](std::vector<storage::RedisReply> raw,
                                                 std::string epoch,
                                                 CalendarHandler::ChangeWatcher::PageDone done) {
    std::vector<storage::FeedEntry> entries;
    for (const storage::RedisReply& r : raw) {
      absl::StatusOr<storage::FeedEntry> e = storage::ChangeFeedStore::ParseEntry(r);
      if (!e.ok() || !ChangeFeedApp::Matches(query, *e)) continue;
      e->id = storage::EncodeStreamPosition({epoch, e->id});
      entries.push_back(*std::move(e));
    }
    feed.Resolve(std::move(entries), [audience, done = std::move(done)](
                                         absl::StatusOr<std::vector<storage::FeedEntry>> entries) mutable {
      if (!entries.ok()) return done(entries.status());
      CalendarHandler::ChangeWatcher::Page out;
      for (const storage::FeedEntry& e : *entries) {
        absl::StatusOr<v1::Change> c = ChangeToProto(e);
        if (!c.ok()) continue;
        ShapeForAudience(*c, audience, e);
        out.messages.push_back(*std::move(c));
      }
      done(std::move(out));
    });
  };
  source.decode = [query, audience](const storage::RedisReply& raw,
                          const std::string& epoch) -> std::optional<v1::Change> {
    absl::StatusOr<storage::FeedEntry> e = storage::ChangeFeedStore::ParseEntry(raw);
    if (!e.ok() || !ChangeFeedApp::Matches(query, *e)) return std::nullopt;
    e->id = storage::EncodeStreamPosition({epoch, e->id});
    absl::StatusOr<v1::Change> c = ChangeToProto(*e);
    if (!c.ok()) return std::nullopt;
    ShapeForAudience(*c, audience, *e);
    return *std::move(c);
  };
  source.position = [](const v1::Change& c) { return c.position(); };
  source.field = "position";
  return source;
}

// Integration tokens see no participant's identity: pseudonyms instead.
// Only they need the deployment's key; its read failing fails their call.
absl::StatusOr<ChangeAudience> AudienceOf(const grpc::ServerContextBase& context,
                                          PseudonymKeySource* keys) {
  if (core::ParticipantViewOf(auth::CallerRole(context)) == core::ParticipantView::kAll) {
    return ChangeAudience{};
  }
  if (keys == nullptr) return absl::InternalError("pseudonym key: no source");
  absl::StatusOr<std::string> key = keys->Get();
  if (!key.ok()) return key.status();
  return ChangeAudience{.pseudonyms = true, .pseudonym_key = *std::move(key)};
}

}  // namespace

grpc::ServerUnaryReactor* CalendarHandler::CreateEvent(
    grpc::CallbackServerContext* context, const v1::CreateEventRequest* request,
    v1::Event* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return FinishNow(context, s);
  }
  absl::StatusOr<core::Event> event = EventFromProto(request->event());
  if (!event.ok()) return FinishNow(context, event.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.CreateEvent(request->request_id(), *std::move(event),
                   Reply<core::Event>(reactor, response, PutEvent));
  return reactor;
}

grpc::ServerUnaryReactor* CalendarHandler::GetEvent(
    grpc::CallbackServerContext* context, const v1::GetEventRequest* request,
    v1::Event* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.GetEvent(request->event_id(),
                Reply<core::Event>(reactor, response, PutEvent));
  return reactor;
}

grpc::ServerUnaryReactor* CalendarHandler::UpdateEvent(
    grpc::CallbackServerContext* context, const v1::UpdateEventRequest* request,
    v1::Event* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::vector<std::string> mask(request->update_mask().paths().begin(),
                                request->update_mask().paths().end());
  app_.UpdateEvent(request->event(), std::move(mask),
                   request->expected_revision(),
                   Reply<core::Event>(reactor, response, PutEvent));
  return reactor;
}

grpc::ServerUnaryReactor* CalendarHandler::CancelEvent(
    grpc::CallbackServerContext* context, const v1::CancelEventRequest* request,
    v1::Event* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.CancelEvent(request->event_id(), request->reason(),
                   request->expected_revision(),
                   Reply<core::Event>(reactor, response, PutEvent));
  return reactor;
}

grpc::ServerUnaryReactor* CalendarHandler::ListEvents(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
    grpc::ByteBuffer* response_bytes) {
  v1::ListEventsRequest parsed;
  if (absl::Status s = rpc::ParseRawRequest(*request_bytes, parsed); !s.ok()) {
    return FinishNow(context, s);
  }
  const v1::ListEventsRequest* request = &parsed;
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return FinishNow(context, s);
  }
  EventQuery q;
  if (request->has_from()) q.from = rpc::TimeFromProto(request->from());
  if (request->has_to()) q.to = rpc::TimeFromProto(request->to());
  q.community = request->community();
  q.city = request->city();
  q.format = FormatFromProto(request->format());
  q.kind = KindFromProto(request->kind());
  if (request->status() != v1::EVENT_STATUS_UNSPECIFIED) {
    q.status = request->status() == v1::EVENT_STATUS_CANCELLED
                   ? core::EventStatus::kCancelled
                   : core::EventStatus::kScheduled;
  }
  q.page_size = request->page_size();
  q.page_token = request->page_token();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.ListEventDocuments(
      std::move(q), [reactor, response_bytes](
                        absl::StatusOr<std::shared_ptr<const EventDocumentPage>> page) {
        if (!page.ok()) return reactor->Finish(rpc::ToGrpcStatus(page.status()));
        const std::string& bytes = (*page)->response;
        rpc::SendShared(*std::move(page), bytes, *response_bytes);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CalendarHandler::GetAgenda(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* request_bytes,
    grpc::ByteBuffer* response_bytes) {
  v1::GetAgendaRequest request;
  if (absl::Status s = rpc::ParseRawRequest(*request_bytes, request); !s.ok()) {
    return FinishNow(context, s);
  }
  if (absl::Status s = auth::AdmitRequest(*context, request); !s.ok()) {
    return FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.GetAgendaAnswer(
      request.event_id(), request.viewer_time_zone(),
      [reactor, response_bytes](absl::StatusOr<std::shared_ptr<const AgendaAnswer>> answer) {
        if (!answer.ok()) return reactor->Finish(rpc::ToGrpcStatus(answer.status()));
        const std::string& bytes = (*answer)->response;
        rpc::SendShared(*std::move(answer), bytes, *response_bytes);
        reactor->Finish(grpc::Status::OK);
      });
  return reactor;
}

grpc::ServerUnaryReactor* CalendarHandler::ListEventChanges(
    grpc::CallbackServerContext* context,
    const v1::ListEventChangesRequest* request,
    v1::ListEventChangesResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return FinishNow(context, s);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.ListEventChanges(
      request->sync_token(), request->page_size(),
      Reply<EventChangePage>(
          reactor, response,
          [](const EventChangePage& page, v1::ListEventChangesResponse& out) {
            for (const EventChangeRecord& c : page.changes) {
              *out.add_changes() = EventChangeToProto(c);
            }
            out.set_next_sync_token(page.next_sync_token);
            out.set_has_more(page.has_more);
          }));
  return reactor;
}

grpc::ServerUnaryReactor* CalendarHandler::FindMeetingTimes(
    grpc::CallbackServerContext* context,
    const v1::FindMeetingTimesRequest* request,
    v1::FindMeetingTimesResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return FinishNow(context, s);
  }
  // Pure computation over the tz database: bounded by the request limits
  // (about 1 ms for the largest grid), so it runs inline.
  absl::StatusOr<core::MeetingTimesRequest> wanted =
      MeetingRequestFromProto(*request);
  if (!wanted.ok()) return FinishNow(context, wanted.status());
  absl::StatusOr<core::MeetingTimes> found = core::FindMeetingTimes(*wanted);
  if (found.ok()) *response = MeetingTimesToProto(*wanted, *found);
  return FinishNow(context, found.status());
}

grpc::ServerUnaryReactor* CalendarHandler::ExportICalendar(
    grpc::CallbackServerContext* context,
    const v1::ExportICalendarRequest* request,
    v1::ExportICalendarResponse* response) {
  if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
    return FinishNow(context, s);
  }
  ExportQuery q;
  q.event_id = request->event_id();
  if (request->has_from()) q.filter.from = rpc::TimeFromProto(request->from());
  if (request->has_to()) q.filter.to = rpc::TimeFromProto(request->to());
  q.filter.community = request->community();
  q.filter.city = request->city();
  q.include_cancelled = request->include_cancelled();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.ExportICalendar(
      std::move(q),
      Reply<ICalendarExport>(reactor, response,
                             [](const ICalendarExport& e,
                                v1::ExportICalendarResponse& out) {
                               out.set_calendar(e.text);
                               out.set_vevent_count(e.vevent_count);
                             }));
  return reactor;
}

grpc::ServerWriteReactor<v1::EventChange>* CalendarHandler::WatchEventChanges(
    grpc::CallbackServerContext* context,
    const v1::WatchEventChangesRequest* request) {
  if (absl::Status s = auth::AdmitRequest(*context, *request);
      !s.ok()) {
    return rpc::FinishStreamNow<v1::EventChange>(s);
  }
  if (!request->sync_token().empty()) {
    if (absl::Status s =
            storage::DecodeStreamPosition(request->sync_token(), "sync_token").status();
        !s.ok()) {
      return rpc::FinishStreamNow<v1::EventChange>(s);
    }
  }
  absl::StatusOr<std::shared_ptr<void>> ticket = auth::AcquireStream(*context);
  if (!ticket.ok()) return rpc::FinishStreamNow<v1::EventChange>(ticket.status());
  // Registered before it starts, removed when gRPC is done with it, so
  // CloseStreams() only ever sees live watchers.
  auto* watcher = new EventChangeWatcher(
      EventChangeSource(app_), change_tailer_, [this](EventChangeWatcher* done) {
        absl::MutexLock lock(&watchers_mu_);
        watchers_.erase(done);
      });
  watcher->stream_ticket = *std::move(ticket);
  auth::OnRevoked(watcher->stream_ticket,
                  [watcher](grpc::Status s) { watcher->End(std::move(s)); });
  {
    absl::MutexLock lock(&watchers_mu_);
    watchers_.insert(watcher);
  }
  watcher->Start(request->sync_token());
  return watcher;
}

grpc::ServerUnaryReactor* CalendarHandler::ListChanges(
    grpc::CallbackServerContext* context, const v1::ListChangesRequest* request,
    v1::ListChangesResponse* response) {
  absl::StatusOr<ChangeQuery> query = ChangeQueryFor(
      *context, *request, request->position(), request->event_id(), request->kinds());
  if (!query.ok()) return FinishNow(context, query.status());
  query->page_size = request->page_size();
  absl::StatusOr<ChangeAudience> audience = AudienceOf(*context, pseudonym_keys_);
  if (!audience.ok()) return FinishNow(context, audience.status());
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::string event_id = query->event_id;
  feed_.ListChanges(*std::move(query), [this, reactor, response, event_id = std::move(event_id),
                                         audience = *std::move(audience)](
                                           absl::StatusOr<ChangeSlice> slice) {
    if (!slice.ok()) return reactor->Finish(rpc::ToGrpcStatus(slice.status()));
    for (const storage::FeedEntry& e : slice->entries) {
      absl::StatusOr<v1::Change> c = ChangeToProto(e);
      if (!c.ok()) return reactor->Finish(rpc::ToGrpcStatus(c.status()));
      ShapeForAudience(*c, audience, e);
      *response->add_changes() = *std::move(c);
    }
    response->set_next_position(slice->next_position);
    response->set_has_more(slice->has_more);
    // A change of the event shows it exists (events are never deleted);
    // only an empty page needs the look-up.
    if (event_id.empty() || !slice->entries.empty()) {
      return reactor->Finish(grpc::Status::OK);
    }
    CheckEventKnown(app_, event_id, [reactor, response](absl::Status known) {
      if (!known.ok()) response->Clear();
      reactor->Finish(rpc::ToGrpcStatus(known));
    });
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::Change>* CalendarHandler::WatchChanges(
    grpc::CallbackServerContext* context, const v1::WatchChangesRequest* request) {
  absl::StatusOr<ChangeQuery> query = ChangeQueryFor(
      *context, *request, request->position(), request->event_id(), request->kinds());
  if (!query.ok()) return rpc::FinishStreamNow<v1::Change>(query.status());
  if (!request->position().empty()) {
    if (absl::Status s = storage::DecodeStreamPosition(request->position(), "position").status();
        !s.ok()) {
      return rpc::FinishStreamNow<v1::Change>(s);
    }
  }
  absl::StatusOr<ChangeAudience> audience = AudienceOf(*context, pseudonym_keys_);
  if (!audience.ok()) return rpc::FinishStreamNow<v1::Change>(audience.status());
  absl::StatusOr<std::shared_ptr<void>> ticket = auth::AcquireStream(*context);
  if (!ticket.ok()) return rpc::FinishStreamNow<v1::Change>(ticket.status());
  auto* watcher = new ChangeWatcher(
      ChangeSource(app_, feed_, *query, *std::move(audience)), feed_tailer_, [this](ChangeWatcher* done) {
        absl::MutexLock lock(&watchers_mu_);
        change_watchers_.erase(done);
      });
  watcher->stream_ticket = *std::move(ticket);
  auth::OnRevoked(watcher->stream_ticket,
                  [watcher](grpc::Status s) { watcher->End(std::move(s)); });
  {
    absl::MutexLock lock(&watchers_mu_);
    change_watchers_.insert(watcher);
  }
  watcher->AnnounceStartIn(context, std::string(kPositionHeader));
  watcher->Start(request->position());
  return watcher;
}

void CalendarHandler::CloseStreams() {
  absl::MutexLock lock(&watchers_mu_);
  for (EventChangeWatcher* watcher : watchers_) watcher->Close();
  for (ChangeWatcher* watcher : change_watchers_) watcher->Close();
}

}  // namespace convene::calendar
