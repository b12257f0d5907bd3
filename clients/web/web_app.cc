#include "web_app.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <regex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "csrf.h"
#include "html_escape.h"
#include "http_replies.h"
#include "search_fold.h"
#include "web_assets.h"

namespace convene::web {
namespace {

namespace v1 = ::convene::v1;

constexpr char kCookie[] = "convene_session";
// The name when the cookie is Secure: browsers accept a "__Host-" cookie
// only from this very host over HTTPS, with Path=/ and no Domain, so a
// sibling subdomain (or a plain-HTTP page) cannot plant one.
constexpr char kHostCookie[] = "__Host-convene_session";
constexpr size_t kMaxTokenLength = 512;
constexpr size_t kMaxQueryLength = 200;
constexpr size_t kMaxSearchResults = 30;
constexpr size_t kMaxClients = 256;
// Also how soon a closed tab is noticed (its second write fails), and so
// how soon its place among the live pages, its token's included, is free.
const auto kKeepAliveEvery = std::chrono::seconds(5);

// The time a request started on this thread: httplib runs a request on one
// pool thread from the pre-routing handler to the logger.
thread_local std::chrono::steady_clock::time_point request_start;

bool IsDate(absl::string_view d) {
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2})");
  return d.size() == 10 && std::regex_match(d.begin(), d.end(), kDate);
}

// An IANA zone name as the browser reports it ("Europe/Athens").
bool IsZoneName(absl::string_view z) {
  if (z.empty() || z.size() > 64) return false;
  return std::all_of(z.begin(), z.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '/' ||
           c == '_' || c == '-' || c == '+';
  });
}

const char* Bool(bool b) { return b ? "true" : "false"; }

// What the server's own refusals (before any handler) say, naming the part
// of the request at fault. The limits are httplib's: 8,192 bytes of request
// line, and main's payload limit.
std::string RefusalReason(int status) {
  switch (status) {
    case 404:
      return "path: no such page or API endpoint";
    case 414:
      return "url: longer than 8192 bytes; search with fewer words";
    case 413:
      return "body: larger than this server accepts";
    case 400:
      return "request: not a well-formed HTTP request (request line, "
             "headers or form)";
    default:
      return absl::StrCat("request refused (HTTP ", status, ")");
  }
}

// Texts of the sign-in errors; the query names one by code so that
// nothing a link carries is ever written into the page.
absl::string_view SignInError(absl::string_view code) {
  if (code == "token")
    return "That token was not accepted. Paste the whole token you were given.";
  if (code == "unavailable")
    return "The Convene services cannot be reached right now; try again.";
  if (code == "session") return "Your sign-in form expired; please try again.";
  if (code == "expired")
    return "Your session ended or your token is no longer valid; sign in "
           "again.";
  return "";
}

}  // namespace

WebApp::WebApp(WebConfig config, client::ClientOptions client_options,
               std::shared_ptr<grpc::Channel> attendance)
    : config_(std::move(config)),
      client_options_(std::move(client_options)),
      sessions_({.max_sessions = config_.max_sessions,
                 .idle_timeout = config_.session_idle_timeout},
                [] { return absl::Now(); }),
      streams_(std::move(attendance),
               {.max_streams = config_.max_live_streams,
                .max_streams_per_token = config_.max_live_streams_per_token,
                .max_duration = config_.live_stream_max_duration}) {}

void WebApp::Shutdown() { streams_.Shutdown(); }

const char* WebApp::CookieName() const {
  return config_.secure_cookies ? kHostCookie : kCookie;
}

std::string WebApp::SessionCookie(const std::string& id, bool clear) const {
  // HttpOnly: no script can read it; SameSite=Strict: no other site's page
  // can make the browser send it; Secure when the page is served over TLS.
  return absl::StrCat(
      CookieName(), "=", clear ? "" : id, "; Path=/; HttpOnly; SameSite=Strict",
      config_.secure_cookies ? "; Secure" : "", clear ? "; Max-Age=0" : "");
}

std::shared_ptr<client::ConveneClient> WebApp::ClientFor(
    const std::string& token) {
  absl::MutexLock lock(&clients_mu_);
  if (auto it = clients_.find(token); it != clients_.end()) return it->second;
  if (clients_.size() >= kMaxClients) clients_.clear();
  client::ClientOptions options = client_options_;
  options.bearer_token = token;
  absl::StatusOr<std::unique_ptr<client::ConveneClient>> c =
      client::ConveneClient::Connect(options);
  if (!c.ok()) return nullptr;
  std::shared_ptr<client::ConveneClient> shared = std::move(*c);
  clients_[token] = shared;
  return shared;
}

// The API has no "who am I": what a token may do with an event is found by
// asking the services, with calls that change nothing, once per session and
// event. The services stay the only judge; this only decides what to show.
EventAccess WebApp::AccessFor(const Session& session,
                              const std::string& event_id) {
  if (auto it = session.events.find(event_id); it != session.events.end())
    return it->second;
  EventAccess access;
  std::shared_ptr<client::ConveneClient> c = ClientFor(session.token);
  if (!c) return access;
  // An answer that may change on retry (the services away, slow) is not
  // remembered: the next page load asks again.
  bool transient = false;
  auto allowed = [&transient](const absl::Status& s) {
    transient |= s.code() == absl::StatusCode::kUnavailable ||
                 s.code() == absl::StatusCode::kDeadlineExceeded ||
                 s.code() == absl::StatusCode::kResourceExhausted;
    return s.code() != absl::StatusCode::kPermissionDenied &&
           s.code() != absl::StatusCode::kUnauthenticated && !transient;
  };
  v1::ListRegistrationsRequest list;
  list.set_event_id(event_id);
  list.set_page_size(1);
  access.sees_people = allowed(c->ListRegistrations(list).status());
  // A registration without a participant: refused as INVALID_ARGUMENT
  // after the role and scope checks, PERMISSION_DENIED before. Nothing is
  // registered.
  v1::RegisterRequest register_probe;
  register_probe.set_event_id(event_id);
  access.organises = allowed(c->Register(register_probe).status());
  // No participant: the services refuse it as INVALID_ARGUMENT after the
  // role and scope checks, or as PERMISSION_DENIED before them. Nothing
  // is recorded.
  v1::CheckInRequest probe;
  probe.set_event_id(event_id);
  access.checks_in = allowed(c->CheckIn(probe).status());
  v1::ExportICalendarRequest ics;
  ics.set_event_id(event_id);
  access.exports_calendar = allowed(c->ExportICalendar(ics).status());
  if (!transient) sessions_.SetEventAccess(session.id, event_id, access);
  return access;
}

bool WebApp::AdmitPost(const httplib::Request& req, httplib::Response& res) {
  // Browsers send Origin with every POST; one from another site is refused
  // even before the token is looked at.
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty() && origin != "null") {
    absl::string_view host = origin;
    if (!absl::ConsumePrefix(&host, "http://"))
      absl::ConsumePrefix(&host, "https://");
    if (host != req.get_header_value("Host")) {
      SetError(res, 403, "PERMISSION_DENIED", "cross-site request refused");
      return false;
    }
  }
  std::optional<Session> s = sessions_.Find(CookieValue(req, CookieName()));
  std::string sent = req.get_header_value("X-CSRF-Token");
  if (sent.empty()) sent = req.get_param_value("csrf");
  if (!s || !ConstantTimeEquals(sent, s->csrf)) {
    SetError(res, 403, "PERMISSION_DENIED",
             "missing or wrong CSRF token; reload the page");
    return false;
  }
  return true;
}

void WebApp::Page(const httplib::Request& req, httplib::Response& res,
                  const std::string& page) {
  std::optional<Session> s = sessions_.Find(CookieValue(req, CookieName()));
  if (!s || !s->signed_in()) return Redirect(res, "/signin");
  const std::string event_id =
      req.matches.size() > 1 ? req.matches[1].str() : "";
  std::string nav = absl::StrCat(
      "<a href=\"/events\">Events</a>",
      event_id.empty()
          ? ""
          : absl::StrCat(
                "<a href=\"/events/", EscapeHtml(event_id), "\">Agenda</a>",
                "<a href=\"/events/", EscapeHtml(event_id), "/live\">Live</a>",
                "<a href=\"/events/", EscapeHtml(event_id), "/desk\">Desk</a>"),
      "<form method=\"post\" action=\"/signout\" class=\"signout\">"
      "<input type=\"hidden\" name=\"csrf\" value=\"",
      EscapeHtml(s->csrf),
      "\">"
      "<button type=\"submit\">Sign out</button></form>");
  SetHtml(res, 200,
          absl::StrReplaceAll(
              kIndexHtml, {{"{{page}}", EscapeHtml(page)},
                           {"{{event_id}}", EscapeHtml(event_id)},
                           {"{{csrf}}", EscapeHtml(s->csrf)},
                           {"{{lists_events}}", Bool(s->lists_events)},
                           {"{{nav}}", nav},
                           {"{{main}}", "<p class=\"loading\">Loading…</p>"}}));
}

void WebApp::SignInForm(const httplib::Request& req, httplib::Response& res) {
  std::optional<Session> s = sessions_.Find(CookieValue(req, CookieName()));
  if (s && s->signed_in()) return Redirect(res, "/events");
  if (!s) {
    s = sessions_.CreateAnonymous();
    res.set_header("Set-Cookie", SessionCookie(s->id));
  }
  absl::string_view error = SignInError(req.get_param_value("error"));
  std::string main = absl::StrCat(
      "<section class=\"card signin\"><h1>Sign in</h1>",
      error.empty() ? ""
                    : absl::StrCat("<p class=\"error\" role=\"alert\">",
                                   EscapeHtml(error), "</p>"),
      "<form method=\"post\" action=\"/signin\">"
      "<input type=\"hidden\" name=\"csrf\" value=\"",
      EscapeHtml(s->csrf),
      "\">"
      "<label for=\"token\">Your Convene token</label>"
      "<input id=\"token\" name=\"token\" type=\"password\" "
      "autocomplete=\"off\" required "
      "maxlength=\"512\" autofocus>"
      "<button type=\"submit\" class=\"big\">Sign in</button></form>"
      "<p class=\"hint\">The token stays on this server for this browser "
      "session only; "
      "it is never shown in the page or an address.</p></section>");
  SetHtml(res, 200,
          absl::StrReplaceAll(kIndexHtml, {{"{{page}}", "signin"},
                                           {"{{event_id}}", ""},
                                           {"{{csrf}}", EscapeHtml(s->csrf)},
                                           {"{{lists_events}}", "false"},
                                           {"{{nav}}", ""},
                                           {"{{main}}", main}}));
}

void WebApp::SignIn(const httplib::Request& req, httplib::Response& res) {
  const std::string old_id = CookieValue(req, CookieName());
  std::string token(absl::StripAsciiWhitespace(req.get_param_value("token")));
  const bool printable = std::all_of(
      token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (token.empty() || token.size() > kMaxTokenLength || !printable) {
    return Redirect(res, "/signin?error=token");
  }
  std::shared_ptr<client::ConveneClient> c = ClientFor(token);
  if (!c) return Redirect(res, "/signin?error=unavailable");
  v1::ListEventsRequest probe;
  probe.set_page_size(1);
  absl::Status s = c->ListEvents(probe).status();
  // PERMISSION_DENIED is a valid token limited to some events: they may
  // not list the calendar but open their events by id.
  if (s.code() == absl::StatusCode::kUnauthenticated) {
    absl::MutexLock lock(&clients_mu_);
    clients_.erase(token);
    return Redirect(res, "/signin?error=token");
  }
  if (!s.ok() && s.code() != absl::StatusCode::kPermissionDenied) {
    return Redirect(res, "/signin?error=unavailable");
  }
  std::optional<Session> session =
      sessions_.SignIn(old_id, std::move(token), s.ok());
  if (!session) return Redirect(res, "/signin?error=session");
  res.set_header("Set-Cookie", SessionCookie(session->id));
  Redirect(res, "/events");
}

void WebApp::SignOut(const httplib::Request& req, httplib::Response& res) {
  sessions_.Remove(CookieValue(req, CookieName()));
  res.set_header("Set-Cookie", SessionCookie("", /*clear=*/true));
  Redirect(res, "/signin");
}

// The session of an API call, or a 401 written.
struct WebApp::Call {
  Session session;
  std::shared_ptr<client::ConveneClient> client;
  std::string event_id;

  static std::optional<Call> Of(WebApp& app, const httplib::Request& req,
                                httplib::Response& res) {
    std::optional<Session> s = app.sessions_.Find(CookieValue(req, app.CookieName()));
    if (!s || !s->signed_in()) {
      SetError(res, 401, "UNAUTHENTICATED", "sign in first");
      return std::nullopt;
    }
    Call call{*std::move(s), nullptr,
              req.matches.size() > 1 ? req.matches[1].str() : ""};
    call.client = app.ClientFor(call.session.token);
    if (!call.client) {
      SetError(res, 503, "UNAVAILABLE", "cannot reach the Convene services");
      return std::nullopt;
    }
    return call;
  }

  // Writes `s` as the answer; a token the services no longer accept ends
  // the session, so the page sends its user to sign in again.
  void Fail(WebApp& app, httplib::Response& res, const absl::Status& s) const {
    if (s.code() == absl::StatusCode::kUnauthenticated) {
      app.sessions_.Remove(session.id);
      absl::MutexLock lock(&app.clients_mu_);
      app.clients_.erase(session.token);
    }
    SetStatusError(res, s);
  }
};

void WebApp::ListEvents(const httplib::Request& req, httplib::Response& res) {
  std::optional<Call> call = Call::Of(*this, req, res);
  if (!call) return;
  v1::ListEventsResponse all;
  v1::ListEventsRequest list;
  // A calendar larger than one answer continues where the last one
  // stopped: the page passes on the service's own token, which the service
  // checks (a made-up one is its INVALID_ARGUMENT, shown as such).
  list.set_page_token(req.get_param_value("page_token"));
  while (all.events_size() < config_.events_per_answer) {
    list.set_page_size(std::min(100, config_.events_per_answer - all.events_size()));
    absl::StatusOr<v1::ListEventsResponse> r = call->client->ListEvents(list);
    if (!r.ok()) return call->Fail(*this, res, r.status());
    for (v1::Event& e : *r->mutable_events()) *all.add_events() = std::move(e);
    all.set_next_page_token(r->next_page_token());
    if (r->next_page_token().empty()) break;
    list.set_page_token(r->next_page_token());
  }
  SetJson(res, 200, ToJson(all));
}

void WebApp::EventDetails(const httplib::Request& req, httplib::Response& res) {
  std::optional<Call> call = Call::Of(*this, req, res);
  if (!call) return;
  absl::StatusOr<v1::Event> event = call->client->GetEvent(call->event_id);
  if (!event.ok()) return call->Fail(*this, res, event.status());
  v1::GetAgendaRequest agenda_request;
  agenda_request.set_event_id(call->event_id);
  const std::string tz = req.get_param_value("tz");
  if (IsZoneName(tz)) agenda_request.set_viewer_time_zone(tz);
  absl::StatusOr<v1::Agenda> agenda = call->client->GetAgenda(agenda_request);
  if (!agenda.ok() &&
      agenda.status().code() == absl::StatusCode::kInvalidArgument) {
    agenda_request.clear_viewer_time_zone();  // a zone the server does not know
    agenda = call->client->GetAgenda(agenda_request);
  }
  if (!agenda.ok()) return call->Fail(*this, res, agenda.status());
  const EventAccess access = AccessFor(call->session, call->event_id);
  SetJson(res, 200,
          absl::StrCat(
              "{\"event\":", ToJson(*event), ",\"agenda\":", ToJson(*agenda),
              ",\"access\":{\"sees_people\":", Bool(access.sees_people),
              ",\"organises\":", Bool(access.organises),
              ",\"checks_in\":", Bool(access.checks_in),
              ",\"exports_calendar\":", Bool(access.exports_calendar), "}}"));
}

void WebApp::Counts(const httplib::Request& req, httplib::Response& res) {
  std::optional<Call> call = Call::Of(*this, req, res);
  if (!call) return;
  absl::StatusOr<v1::AttendanceCounts> counts =
      call->client->GetAttendanceCounts(call->event_id);
  if (!counts.ok()) return call->Fail(*this, res, counts.status());
  SetJson(res, 200, ToJson(*counts));
}

void WebApp::People(const httplib::Request& req, httplib::Response& res) {
  std::optional<Call> call = Call::Of(*this, req, res);
  if (!call) return;
  std::string q(absl::StripAsciiWhitespace(req.get_param_value("q")));
  if (q.size() > kMaxQueryLength) q.resize(kMaxQueryLength);
  q = FoldForSearch(q);
  v1::ListRegistrationsRequest list;
  list.set_event_id(call->event_id);
  v1::ListRegistrationsResponse found;
  int read = 0;
  // Whether every registration was looked at, and whether matches were
  // left out: the desk says so instead of answering "nobody matches" for
  // someone it did not reach.
  bool searched_all = false;
  bool more_matches = false;
  while (read < config_.max_registrations) {
    list.set_page_size(std::min(500, config_.max_registrations - read));
    absl::StatusOr<v1::ListRegistrationsResponse> r =
        call->client->ListRegistrations(list);
    if (!r.ok()) return call->Fail(*this, res, r.status());
    read += r->registrations_size();
    for (v1::Registration& reg : *r->mutable_registrations()) {
      if (reg.status() == v1::REGISTRATION_STATUS_CANCELLED) continue;
      const v1::Participant& p = reg.participant();
      if (!q.empty() && !absl::StrContains(FoldForSearch(p.display_name()), q) &&
          !absl::StrContains(FoldForSearch(p.participant_id()), q)) {
        continue;
      }
      if (found.registrations_size() >= static_cast<int>(kMaxSearchResults)) {
        more_matches = true;
        break;
      }
      // The desk needs who and how, never how to reach them.
      v1::Participant* kept = reg.mutable_participant();
      kept->clear_email();
      kept->clear_time_zone();
      kept->clear_language();
      *found.add_registrations() = std::move(reg);
    }
    if (r->next_page_token().empty()) {
      searched_all = true;
      break;
    }
    if (more_matches) break;
    list.set_page_token(r->next_page_token());
  }
  std::string json = ToJson(found);
  if (!absl::EndsWith(json, "}")) {
    return SetError(res, 500, "INTERNAL", "the search results could not be written");
  }
  json.pop_back();  // the closing brace: the search's own fields follow
  if (json.size() > 1) json += ",";
  absl::StrAppend(&json, "\"searched_all\":", Bool(searched_all),
                  ",\"searched\":", read, ",\"more_matches\":", Bool(more_matches),
                  "}");
  SetJson(res, 200, json);
}

void WebApp::CheckIn(const httplib::Request& req, httplib::Response& res) {
  std::optional<Call> call = Call::Of(*this, req, res);
  if (!call) return;
  v1::CheckInRequest request;
  request.set_event_id(call->event_id);
  const std::string day = req.get_param_value("day");
  const std::string mode = req.get_param_value("mode");
  if (!IsDate(day))
    return SetError(res, 400, "INVALID_ARGUMENT", "day: must be YYYY-MM-DD");
  request.set_day(day);
  // The API ties the source to the mode: DESK (and BADGE) mean the room,
  // ONLINE_JOIN means online. Staff who see someone in the meeting and tick
  // them off at the desk report an online join.
  if (mode == "in_person") {
    request.set_mode(v1::ATTENDANCE_MODE_IN_PERSON);
    request.set_source(v1::CHECK_IN_SOURCE_DESK);
  } else if (mode == "online") {
    request.set_mode(v1::ATTENDANCE_MODE_ONLINE);
    request.set_source(v1::CHECK_IN_SOURCE_ONLINE_JOIN);
  } else {
    return SetError(res, 400, "INVALID_ARGUMENT",
                    "mode: must be in_person or online");
  }
  if (req.get_param_value("walk_in") == "1") {
    // A walk-in has no id of their own yet; the desk makes one.
    v1::Participant* p = request.mutable_walk_in();
    p->set_participant_id("walk-in-" + RandomToken().substr(0, 16));
    p->set_display_name(req.get_param_value("name"));
    p->set_organisation(req.get_param_value("organisation"));
    p->set_city(req.get_param_value("city"));
    request.set_participant_id(p->participant_id());
  } else {
    request.set_participant_id(req.get_param_value("participant_id"));
    // The desk changed the day's mode from the registration's: the seat
    // (or online place) moves first, since a check-in must match it.
    if (req.get_param_value("change_mode") == "1") {
      v1::ChangeModeRequest change;
      change.set_event_id(call->event_id);
      change.set_participant_id(request.participant_id());
      v1::DayMode* d = change.add_days();
      d->set_date(day);
      d->set_mode(request.mode());
      absl::StatusOr<v1::Registration> changed =
          call->client->ChangeMode(change);
      if (!changed.ok()) return call->Fail(*this, res, changed.status());
    }
  }
  absl::StatusOr<v1::CheckInRecord> record = call->client->CheckIn(request);
  if (!record.ok()) return call->Fail(*this, res, record.status());
  SetJson(res, 200, ToJson(*record));
}

void WebApp::Stream(const httplib::Request& req, httplib::Response& res) {
  std::optional<Call> call = Call::Of(*this, req, res);
  if (!call) return;
  std::shared_ptr<CountsWatch> watch =
      streams_.Open(call->session.token, call->event_id);
  if (!watch) {
    return SetError(res, 503, "UNAVAILABLE",
                    "too many live pages are open (in all, or with this "
                    "token); retry shortly");
  }
  res.set_header("Cache-Control", "no-store");
  struct State {
    bool started = false;
    std::chrono::steady_clock::time_point last_write =
        std::chrono::steady_clock::now();
  };
  auto state = std::make_shared<State>();
  res.set_chunked_content_provider(
      "text/event-stream",
      [this, watch, state](size_t, httplib::DataSink& sink) {
        auto write = [&](const std::string& frame) {
          state->last_write = std::chrono::steady_clock::now();
          return sink.write(frame.data(), frame.size());
        };
        // The browser's EventSource reconnects a second after the end.
        if (!state->started) {
          state->started = true;
          if (!write("retry: 1000\n\n")) return false;
        }
        CountsWatch::Update u = watch->Next(absl::Milliseconds(500));
        switch (u.kind) {
          case CountsWatch::Update::Kind::kCounts:
            return write(
                absl::StrCat("event: counts\ndata: ", u.counts_json, "\n\n"));
          case CountsWatch::Update::Kind::kEnded: {
            // Errors that a reconnect cannot cure end the page's stream for
            // good ("fatal"); the others (the server restarting, the stream
            // reaching its age) let the browser reconnect.
            const absl::StatusCode code = u.status.code();
            const bool fatal = code == absl::StatusCode::kPermissionDenied ||
                               code == absl::StatusCode::kUnauthenticated ||
                               code == absl::StatusCode::kNotFound ||
                               code == absl::StatusCode::kInvalidArgument;
            write(absl::StrCat(
                "event: ", fatal ? "fatal" : "ended", "\ndata: {\"code\":",
                JsonString(absl::StatusCodeToString(code)),
                ",\"message\":", JsonString(u.status.message()), "}\n\n"));
            sink.done();
            return true;
          }
          case CountsWatch::Update::Kind::kNothingNew:
            if (streams_.shutting_down()) {
              sink.done();
              return true;
            }
            // A comment line now and then: proxies keep the connection, and
            // a closed tab is noticed by the failed write.
            if (std::chrono::steady_clock::now() - state->last_write >
                kKeepAliveEvery) {
              return write(": keep-alive\n\n");
            }
            return true;
        }
        return true;
      },
      [watch](bool) { watch->Cancel(); });
}

void WebApp::DownloadCsv(const httplib::Request& req, httplib::Response& res) {
  std::optional<Call> call = Call::Of(*this, req, res);
  if (!call) return;
  v1::ExportAttendanceReportRequest request;
  request.set_event_id(call->event_id);
  request.set_utf8_bom(true);
  absl::StatusOr<v1::ExportAttendanceReportResponse> r =
      call->client->ExportAttendanceReport(request);
  if (!r.ok()) return call->Fail(*this, res, r.status());
  res.set_header("Cache-Control", "no-store");
  res.set_header("Content-Disposition",
                 absl::StrCat("attachment; filename=\"attendance-",
                              call->event_id, ".csv\""));
  res.set_content(r->csv(), "text/csv; charset=utf-8");
}

void WebApp::DownloadIcs(const httplib::Request& req, httplib::Response& res) {
  std::optional<Call> call = Call::Of(*this, req, res);
  if (!call) return;
  v1::ExportICalendarRequest request;
  request.set_event_id(call->event_id);
  absl::StatusOr<v1::ExportICalendarResponse> r =
      call->client->ExportICalendar(request);
  if (!r.ok()) return call->Fail(*this, res, r.status());
  res.set_header("Cache-Control", "no-store");
  res.set_header("Content-Disposition", absl::StrCat("attachment; filename=\"",
                                                     call->event_id, ".ics\""));
  res.set_content(r->calendar(), "text/calendar; charset=utf-8");
}

void WebApp::Register(httplib::Server& server) {
  httplib::Headers headers = {
      {"Content-Security-Policy",
       "default-src 'self'; script-src 'self'; style-src 'self'; img-src "
       "'self'; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri "
       "'none'; "
       "form-action 'self'; frame-ancestors 'none'"},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cross-Origin-Opener-Policy", "same-origin"},
      {"Cross-Origin-Resource-Policy", "same-origin"},
      {"Permissions-Policy", "camera=(), microphone=(), geolocation=()"},
  };
  if (config_.secure_cookies) {
    // Served over TLS (here or at a proxy): browsers must not fall back to
    // HTTP.
    headers.emplace("Strict-Transport-Security", "max-age=31536000");
  }
  server.set_default_headers(std::move(headers));
  server.set_pre_routing_handler(
      [](const httplib::Request&, httplib::Response&) {
        request_start = std::chrono::steady_clock::now();
        return httplib::Server::HandlerResponse::Unhandled;
      });
  server.set_logger(
      [this](const httplib::Request& req, const httplib::Response& res) {
        if (!config_.log) return;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - request_start)
                            .count();
        // The path only: queries carry search text (names), cookies the
        // session.
        std::string path =
            req.path.size() > 200 ? req.path.substr(0, 200) + "..." : req.path;
        for (char& c : path) {
          if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
        }
        config_.log(absl::StrCat("convene-web: ", req.method, " ", path, " ",
                                 res.status, " ", ms, "ms"));
      });
  server.set_error_handler([](const httplib::Request& req,
                              httplib::Response& res) {
    if (!res.body.empty()) return;
    const std::string message = RefusalReason(res.status);
    // httplib refuses an over-long or malformed request line before it
    // parses it, so the path is unknown: only the page's own API calls
    // (a desk search, a page token) build URLs that long, and they read
    // JSON.
    if (req.path.empty() || absl::StartsWith(req.path, "/api/")) {
      SetError(res, res.status,
               res.status == 404 ? "NOT_FOUND" : "INVALID_ARGUMENT", message);
    } else {
      SetHtml(res, res.status,
              absl::StrCat("<!doctype html><meta "
                           "charset=\"utf-8\"><title>Convene</title><p>",
                           EscapeHtml(message), " (", res.status,
                           "). <a href=\"/events\">Events</a></p>"));
    }
  });

  using Req = const httplib::Request&;
  using Res = httplib::Response&;
  auto asset = [](absl::string_view body, const char* type) {
    return [body, type](Req, Res res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_content(std::string(body), type);
    };
  };
  server.Get("/static/app.js", asset(kAppJs, "text/javascript; charset=utf-8"));
  server.Get("/static/app.css", asset(kAppCss, "text/css; charset=utf-8"));
  server.Get("/favicon.ico", [](Req, Res res) { res.status = 204; });
  server.Get("/healthz",
             [](Req, Res res) { res.set_content("ok\n", "text/plain"); });
  server.Get("/", [](Req, Res res) { Redirect(res, "/events"); });
  server.Get("/signin", [this](Req req, Res res) { SignInForm(req, res); });
  // Every POST goes through AdmitPost first (the body, where a form's
  // CSRF field is, is read only after the pre-routing handler).
  auto post = [this, &server](const std::string& path,
                              void (WebApp::*handler)(Req, Res)) {
    server.Post(path, [this, handler](Req req, Res res) {
      if (AdmitPost(req, res)) (this->*handler)(req, res);
    });
  };
  post("/signin", &WebApp::SignIn);
  post("/signout", &WebApp::SignOut);
  server.Get("/events", [this](Req req, Res res) { Page(req, res, "events"); });
  const std::string id = "([A-Za-z0-9_-]{1,64})";
  server.Get("/events/" + id,
             [this](Req req, Res res) { Page(req, res, "event"); });
  server.Get("/events/" + id + "/live",
             [this](Req req, Res res) { Page(req, res, "live"); });
  server.Get("/events/" + id + "/desk",
             [this](Req req, Res res) { Page(req, res, "desk"); });
  server.Get("/api/events", [this](Req req, Res res) { ListEvents(req, res); });
  server.Get("/api/events/" + id,
             [this](Req req, Res res) { EventDetails(req, res); });
  server.Get("/api/events/" + id + "/counts",
             [this](Req req, Res res) { Counts(req, res); });
  server.Get("/api/events/" + id + "/people",
             [this](Req req, Res res) { People(req, res); });
  server.Get("/api/events/" + id + "/stream",
             [this](Req req, Res res) { Stream(req, res); });
  post("/api/events/" + id + "/checkin", &WebApp::CheckIn);
  server.Get("/download/" + id + "/attendance.csv",
             [this](Req req, Res res) { DownloadCsv(req, res); });
  server.Get("/download/" + id + "/calendar.ics",
             [this](Req req, Res res) { DownloadIcs(req, res); });
}

}  // namespace convene::web
