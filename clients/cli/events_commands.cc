// convene events ...: create, read, follow and export the calendar's events.
#include <algorithm>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "commands.h"
#include "google/protobuf/util/json_util.h"

namespace convene::cli {
namespace {

// Flags that describe an event, shared by create and update.
std::vector<OptionSpec> EventOptions() {
  return {
      {"title", "TEXT", "title, 1-200 chars"},
      {"description", "TEXT", "free text"},
      {"kind", "KIND", EnumChoices(v1::EventKind_descriptor())},
      {"community", "TAG", "community of practice (CoP1)"},
      {"organiser", "NAME", "organising body (Eurocities)", true},
      {"city", "CITY", "host city (Thessaloniki)"},
      {"country", "CC", "ISO 3166-1 alpha-2 code (EL)"},
      {"format", "FORMAT", EnumChoices(v1::EventFormat_descriptor())},
      {"time_zone", "ZONE", "IANA zone of the venue (Europe/Athens)", false, "tz-of-venue"},
      {"start", "LOCAL", "local start at the venue: 2022-03-15T09:00"},
      {"end", "LOCAL", "local end at the venue: 2022-03-17T17:30"},
      {"venue", "NAME", "venue name"},
      {"address", "TEXT", "venue address, one line"},
      {"venue_city", "CITY", "city of the venue"},
      {"capacity", "N", "seats in the room per day; 0: no limit"},
      {"online_capacity", "N", "online places per day; 0: no limit"},
      {"platform", "NAME", "meeting platform (Zoom)"},
      {"join_url", "URL", "https:// link to join online"},
      {"session", "SPEC", "'title|start|end[|format[|room]]', local times at the venue", true},
      {"allow_walk_ins", "", "check in people who did not register while seats are free"},
      {"contact_name", "NAME", "the organiser participants write to (Reply-To of e-mail)"},
      {"contact_email", "ADDRESS", "that organiser's e-mail address"},
      {"check_in_margin", "DURATION",
       "check-ins accepted this long before and after each day (default 12h, at most 7d)"},
      {"local_time_policy", "POLICY",
       "times in a DST gap or overlap: " + EnumChoices(v1::LocalTimePolicy_descriptor())},
  };
}

// Copies the event flags given into `event`, naming each in `mask`.
void ApplyEventFlags(Args& args, v1::Event& event, std::vector<std::string>& mask) {
  auto given = [&](const char* flag, const char* path) {
    if (!args.Has(flag)) return false;
    mask.push_back(path);
    return true;
  };
  if (given("title", "title")) event.set_title(args.Get("title"));
  if (given("description", "description")) event.set_description(args.Get("description"));
  if (given("kind", "kind")) event.set_kind(args.Enum("kind", v1::EVENT_KIND_UNSPECIFIED));
  if (given("community", "community")) event.set_community(args.Get("community"));
  if (given("organiser", "organisers")) {
    event.clear_organisers();
    for (const std::string& o : args.All("organiser")) event.add_organisers(o);
  }
  if (given("city", "city")) event.set_city(args.Get("city"));
  if (given("country", "country_code")) event.set_country_code(args.Get("country"));
  if (given("format", "format")) {
    event.set_format(args.Enum("format", v1::EVENT_FORMAT_UNSPECIFIED));
  }
  if (given("time_zone", "time_zone")) event.set_time_zone(args.Get("time_zone"));
  if (given("start", "start_local")) event.set_start_local(args.Get("start"));
  if (given("end", "end_local")) event.set_end_local(args.Get("end"));
  if (given("venue", "venue.name")) event.mutable_venue()->set_name(args.Get("venue"));
  if (given("address", "venue.address")) event.mutable_venue()->set_address(args.Get("address"));
  if (given("venue_city", "venue.city")) event.mutable_venue()->set_city(args.Get("venue_city"));
  if (given("capacity", "venue.in_person_capacity")) {
    event.mutable_venue()->set_in_person_capacity(static_cast<int32_t>(args.Int("capacity")));
  }
  if (given("online_capacity", "online.online_capacity")) {
    event.mutable_online()->set_online_capacity(static_cast<int32_t>(args.Int("online_capacity")));
  }
  if (given("platform", "online.platform")) {
    event.mutable_online()->set_platform(args.Get("platform"));
  }
  if (given("join_url", "online.join_url")) {
    event.mutable_online()->set_join_url(args.Get("join_url"));
  }
  if (given("allow_walk_ins", "allow_walk_ins")) {
    event.set_allow_walk_ins(args.Bool("allow_walk_ins"));
  }
  if (args.Has("contact_name") || args.Has("contact_email")) {
    // The contact is one value: both parts are sent, the one not given as
    // empty.
    mask.push_back("organiser_contact");
    event.mutable_organiser_contact()->set_name(args.Get("contact_name"));
    event.mutable_organiser_contact()->set_email(args.Get("contact_email"));
  }
  if (given("check_in_margin", "check_in_margin")) {
    absl::StatusOr<absl::Duration> margin = ParseDurationArg(args.Get("check_in_margin"));
    if (!margin.ok()) {
      args.Error(absl::StrCat("--check_in_margin: ", margin.status().message()));
    } else {
      *event.mutable_check_in_margin() = ToProto(*margin);
    }
  }
  if (given("local_time_policy", "local_time_policy")) {
    event.set_local_time_policy(args.Enum("local_time_policy", v1::LOCAL_TIME_POLICY_UNSPECIFIED));
  }
  if (given("session", "sessions")) {
    event.clear_sessions();
    for (const std::string& spec : args.All("session")) {
      std::vector<std::string> parts = absl::StrSplit(spec, '|');
      if (parts.size() < 3 || parts.size() > 5) {
        args.Error(absl::StrCat("--session: expected 'title|start|end[|format[|room]]', got \"",
                                spec, "\""));
        continue;
      }
      v1::Session* session = event.add_sessions();
      session->set_title(parts[0]);
      session->set_start_local(parts[1]);
      session->set_end_local(parts[2]);
      if (parts.size() > 3 && !parts[3].empty()) {
        session->set_format(static_cast<v1::EventFormat>(args.ParseEnum(
            "session", parts[3], v1::EventFormat_descriptor(), v1::EVENT_FORMAT_UNSPECIFIED)));
      }
      if (parts.size() > 4) session->set_room(parts[4]);
    }
  }
}

// "50 places per day", or "no limit on places".
std::string Capacity(int32_t n, const char* what) {
  return n > 0 ? absl::StrCat(n, " ", what, " per day") : absl::StrCat("no limit on ", what);
}

void PrintEvent(Context& ctx, const v1::Event& e) {
  std::ostream& out = ctx.out();
  std::string zone = e.time_zone();
  out << e.id() << "  " << e.title() << "\n";
  auto row = [&](const char* label, const std::string& value) {
    if (!value.empty()) {
      out << "  " << label << std::string(11 - std::strlen(label), ' ') << value << "\n";
    }
  };
  row("status", absl::StrCat(EnumLabel(e.status()), ", revision ", e.revision()));
  if (e.kind() != v1::EVENT_KIND_UNSPECIFIED || !e.community().empty()) {
    row("kind",
        absl::StrCat(EnumLabel(e.kind()), e.community().empty() ? "" : ", ", e.community()));
  }
  row("organisers", absl::StrJoin(e.organisers(), ", "));
  row("format", EnumLabel(e.format()));
  row("city", absl::StrCat(e.city(), e.country_code().empty() ? "" : " (", e.country_code(),
                           e.country_code().empty() ? "" : ")"));
  row("starts", ctx.Both(FromProto(e.start_time()), zone));
  row("ends", ctx.Both(FromProto(e.end_time()), zone));
  if (e.has_venue()) {
    std::vector<std::string> parts;
    for (const std::string& p : {e.venue().name(), e.venue().address(), e.venue().city()}) {
      if (!p.empty()) parts.push_back(p);
    }
    parts.push_back(Capacity(e.venue().in_person_capacity(), "seats"));
    row("venue", absl::StrJoin(parts, ", "));
  }
  if (e.has_online()) {
    row("online", absl::StrCat(e.online().platform(), e.online().platform().empty() ? "" : " ",
                               e.online().join_url(), ", ",
                               Capacity(e.online().online_capacity(), "places")));
  }
  if (e.allow_walk_ins()) row("walk-ins", "allowed");
  if (e.has_organiser_contact()) {
    row("contact", absl::StrCat(e.organiser_contact().name(),
                                e.organiser_contact().name().empty() ? "" : " ", "<",
                                e.organiser_contact().email(), ">"));
  }
  if (e.has_check_in_margin()) {
    row("check-in", absl::StrCat("from ", ShortDuration(FromProto(e.check_in_margin())),
                                 " before to ", ShortDuration(FromProto(e.check_in_margin())),
                                 " after each day"));
  }
  row("cancelled", e.cancel_reason());
  if (e.sessions_size() == 0) return;
  bool two_zones = zone != ctx.viewer().name();
  std::vector<std::string> header = {"ID", "DAY", std::string(ctx.viewer().name())};
  if (two_zones) header.push_back("= " + zone);
  for (const char* h : {"TITLE", "FORMAT", "ROOM"}) header.push_back(h);
  Table table(header);
  for (size_t c = 0; c < (two_zones ? 4u : 3u); ++c) table.KeepWhole(c);
  for (const v1::Session& s : e.sessions()) {
    std::string day = s.start_local().substr(0, 10);
    std::vector<std::string> cells = {
        s.id(), day,
        TimeRange(LocalMinute(ctx.viewer(), FromProto(s.start_time())),
                  LocalMinute(ctx.viewer(), FromProto(s.end_time())), day)};
    if (two_zones) cells.push_back("= " + TimeRange(s.start_local(), s.end_local(), day));
    cells.push_back(s.title());
    cells.push_back(EnumLabel(s.format() ? s.format() : e.format()));
    cells.push_back(s.room());
    table.Add(cells);
  }
  out << "Sessions:\n" << table.Render(ctx.width(), 2);
}

int Create(Context& ctx, Args& args) {
  v1::CreateEventRequest request;
  if (args.Has("from_json")) {
    std::string path = args.Get("from_json");
    std::stringstream text;
    if (path == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream file(path);
      if (!file) return ctx.Fail(absl::NotFoundError(absl::StrCat(path, ": cannot read the file")));
      text << file.rdbuf();
    }
    auto status = google::protobuf::util::JsonStringToMessage(text.str(), request.mutable_event());
    if (!status.ok()) {
      return ctx.Fail(
          absl::InvalidArgumentError(absl::StrCat(path, ": ", status.message().ToString())));
    }
  }
  std::vector<std::string> mask;
  ApplyEventFlags(args, *request.mutable_event(), mask);
  request.set_request_id(args.Get("request_id"));
  if (!args.ok()) return ctx.Usage(args);
  return ctx.Reply(ctx.client().CreateEvent(request),
                   [&](const v1::Event& e) { PrintEvent(ctx, e); });
}

// A --session naming a current session's title is that session, kept under
// its id: the calendars that imported it update its entry instead of
// dropping it for a new one, and its check-ins stay with it. Titles are
// matched in programme order, each current session at most once; the
// others given are new, and the current ones not named are removed.
void KeepSessionIds(const v1::Event& current, v1::Event& update) {
  std::vector<bool> taken(current.sessions_size(), false);
  for (v1::Session& s : *update.mutable_sessions()) {
    for (int i = 0; i < current.sessions_size(); ++i) {
      if (!taken[i] && current.sessions(i).title() == s.title()) {
        taken[i] = true;
        s.set_id(current.sessions(i).id());
        break;
      }
    }
  }
}

int Update(Context& ctx, Args& args) {
  v1::UpdateEventRequest request;
  request.mutable_event()->set_id(args.Positional(0));
  std::vector<std::string> mask;
  ApplyEventFlags(args, *request.mutable_event(), mask);
  for (const std::string& path : mask) request.mutable_update_mask()->add_paths(path);
  request.set_expected_revision(args.Int("expected_revision"));
  if (!args.ok()) return ctx.Usage(args);
  const bool sessions_given =
      std::find(mask.begin(), mask.end(), "sessions") != mask.end();
  if (request.expected_revision() == 0 || sessions_given) {
    absl::StatusOr<v1::Event> current = ctx.client().GetEvent(args.Positional(0));
    if (!current.ok()) return ctx.Fail(current.status());
    // Read-modify-write on the revision read now; a change in between fails
    // with ABORTED.
    if (request.expected_revision() == 0) request.set_expected_revision(current->revision());
    if (sessions_given) KeepSessionIds(*current, *request.mutable_event());
  }
  return ctx.Reply(ctx.client().UpdateEvent(request),
                   [&](const v1::Event& e) { PrintEvent(ctx, e); });
}

int Show(Context& ctx, Args& args) {
  return ctx.Reply(ctx.client().GetEvent(args.Positional(0)),
                   [&](const v1::Event& e) { PrintEvent(ctx, e); });
}

int Cancel(Context& ctx, Args& args) {
  v1::CancelEventRequest request;
  request.set_event_id(args.Positional(0));
  request.set_reason(args.Get("reason"));
  request.set_expected_revision(args.Int("expected_revision"));
  if (!args.ok()) return ctx.Usage(args);
  return ctx.Reply(ctx.client().CancelEvent(request),
                   [&](const v1::Event& e) { PrintEvent(ctx, e); });
}

// Sets `field` from a time argument, if given; records a usage error if
// unreadable.
void TimeArg(Context& ctx, Args& args, const char* flag,
             const std::function<google::protobuf::Timestamp*()>& field) {
  if (!args.Has(flag)) return;
  absl::StatusOr<absl::Time> t = ctx.ParseTimeArg(args.Get(flag));
  if (!t.ok()) return args.Error(absl::StrCat("--", flag, ": ", t.status().message()));
  *field() = ToProto(*t);
}

int List(Context& ctx, Args& args) {
  v1::ListEventsRequest request;
  TimeArg(ctx, args, "from", [&] { return request.mutable_from(); });
  TimeArg(ctx, args, "to", [&] { return request.mutable_to(); });
  request.set_community(args.Get("community"));
  request.set_city(args.Get("city"));
  request.set_format(args.Enum("format", v1::EVENT_FORMAT_UNSPECIFIED));
  request.set_kind(args.Enum("kind", v1::EVENT_KIND_UNSPECIFIED));
  request.set_status(args.Enum("status", v1::EVENT_STATUS_UNSPECIFIED));
  request.set_page_size(static_cast<int32_t>(args.Int("page_size")));
  if (!args.ok()) return ctx.Usage(args);
  std::string first_token = args.Get("page_token");
  auto pages = ReadPages<v1::ListEventsResponse>(args.Bool("all"), [&](const std::string& token) {
    request.set_page_token(token.empty() ? first_token : token);
    return ctx.client().ListEvents(request);
  });
  return ctx.Reply(pages, [&](const v1::ListEventsResponse& r) {
    Table table({"ID", absl::StrCat("START ", ctx.viewer().name()), "AT THE VENUE", "TITLE", "CITY",
                 "FORMAT", "STATUS"});
    for (size_t c : {0, 1, 2}) table.KeepWhole(c);
    for (const v1::Event& e : r.events()) {
      absl::Time start = FromProto(e.start_time());
      std::string here = ctx.InViewer(start);
      std::string there;
      if (e.time_zone() != ctx.viewer().name()) {
        there = LocalMinute(ctx.ZoneOr(e.time_zone()), start);
        if (there.substr(0, 10) == here.substr(0, 10)) there = there.substr(11);
        there = absl::StrCat("= ", there, " ", e.time_zone());
      }
      table.Add(
          {e.id(), here, there, e.title(), e.city(), EnumLabel(e.format()), EnumLabel(e.status())});
    }
    ctx.out() << table.Render(ctx.width());
    if (!r.next_page_token().empty()) {
      ctx.out() << "more: --page_token=" << r.next_page_token() << " (or --all)\n";
    }
    ctx.out() << "sync token: " << r.sync_token() << "\n";
  });
}

int Agenda(Context& ctx, Args& args) {
  v1::GetAgendaRequest request;
  request.set_event_id(args.Positional(0));
  request.set_viewer_time_zone(std::string(ctx.viewer().name()));
  return ctx.Reply(ctx.client().GetAgenda(request), [&](const v1::Agenda& a) {
    bool two_zones = a.venue_time_zone() != a.viewer_time_zone();
    ctx.out() << a.title() << " (" << a.event_id() << "): " << EnumLabel(a.status())
              << ", revision " << a.revision() << "\n";
    if (two_zones) {
      ctx.out() << "Times in " << a.viewer_time_zone() << " = at the venue, " << a.venue_time_zone()
                << "\n";
    }
    // One join link for the whole event goes above the table, not in every row.
    std::set<std::string> links;
    for (const v1::AgendaDay& day : a.days()) {
      for (const v1::AgendaItem& item : day.items()) {
        if (!item.join_url().empty()) links.insert(item.join_url());
      }
    }
    std::string common_link = links.size() == 1 ? *links.begin() : "";
    if (!common_link.empty()) ctx.out() << "Join online: " << common_link << "\n";
    ctx.out() << "\n";
    std::vector<std::string> header = {"DAY", a.viewer_time_zone()};
    if (two_zones) header.push_back("= " + a.venue_time_zone());
    for (const char* h : {"TITLE", "FORMAT", "ROOM / LINK"}) header.push_back(h);
    Table table(header);
    for (size_t c = 0; c < (two_zones ? 3u : 2u); ++c) table.KeepWhole(c);
    for (const v1::AgendaDay& day : a.days()) {
      bool first = true;
      for (const v1::AgendaItem& item : day.items()) {
        std::vector<std::string> cells = {
            first ? day.venue_date() : "",
            TimeRange(item.start().viewer_local(), item.end().viewer_local(), day.venue_date())};
        if (two_zones) {
          cells.push_back("= " + TimeRange(item.start().venue_local(), item.end().venue_local(),
                                           day.venue_date()));
        }
        cells.push_back(item.continues_from_earlier_day()
                            ? absl::StrCat(item.title(), " (continued)")
                            : item.title());
        cells.push_back(EnumLabel(item.format()));
        std::vector<std::string> where;
        for (const std::string& w : {item.room(), item.join_url()}) {
          if (!w.empty() && w != common_link) where.push_back(w);
        }
        cells.push_back(absl::StrJoin(where, ", "));
        table.Add(cells);
        first = false;
      }
    }
    ctx.out() << table.Render(ctx.width());
  });
}

int ExportIcs(Context& ctx, Args& args) {
  v1::ExportICalendarRequest request;
  request.set_event_id(args.Positional(0));
  TimeArg(ctx, args, "from", [&] { return request.mutable_from(); });
  TimeArg(ctx, args, "to", [&] { return request.mutable_to(); });
  request.set_community(args.Get("community"));
  request.set_city(args.Get("city"));
  request.set_include_cancelled(args.Has("include_cancelled") ? args.Bool("include_cancelled")
                                                              : !request.event_id().empty());
  if (!args.ok()) return ctx.Usage(args);
  absl::StatusOr<v1::ExportICalendarResponse> r = ctx.client().ExportICalendar(request);
  if (!r.ok()) return ctx.Fail(r.status());
  if (ctx.json()) return ctx.PrintJson(*r);
  return ctx.Save(args.Get("out"), r->calendar(), absl::StrCat(r->vevent_count(), " VEVENTs"));
}

std::string ChangeLine(Context& ctx, const v1::EventChange& c) {
  return absl::StrCat(ctx.InViewer(FromProto(c.change_time())), "  ", EnumLabel(c.type()), "  ",
                      c.event_id(), "  r", c.revision(), "  ", c.event().title(),
                      c.reason().empty() ? "" : "  (", c.reason(), c.reason().empty() ? "" : ")");
}

int Changes(Context& ctx, Args& args) {
  v1::ListEventChangesRequest request;
  request.set_sync_token(args.Get("sync_token"));
  request.set_page_size(static_cast<int32_t>(args.Int("page_size")));
  bool all = args.Bool("all");
  if (!args.ok()) return ctx.Usage(args);
  absl::StatusOr<v1::ListEventChangesResponse> result = ctx.client().ListEventChanges(request);
  // --all: on while the feed says more are waiting (bounded, as in ReadPages).
  for (int pages = 1; all && result.ok() && result->has_more() && pages < 10000; ++pages) {
    request.set_sync_token(result->next_sync_token());
    absl::StatusOr<v1::ListEventChangesResponse> next = ctx.client().ListEventChanges(request);
    if (!next.ok()) {
      result = next.status();
      break;
    }
    for (const v1::EventChange& c : next->changes()) *result->add_changes() = c;
    result->set_next_sync_token(next->next_sync_token());
    result->set_has_more(next->has_more());
  }
  return ctx.Reply(result, [&](const v1::ListEventChangesResponse& r) {
    Table table(
        {absl::StrCat("WHEN ", ctx.viewer().name()), "CHANGE", "EVENT", "REV", "TITLE", "REASON"});
    for (size_t c : {0, 2, 3}) table.KeepWhole(c);
    for (const v1::EventChange& c : r.changes()) {
      table.Add({ctx.InViewer(FromProto(c.change_time())), EnumLabel(c.type()), c.event_id(),
                 absl::StrCat(c.revision()), c.event().title(), c.reason()});
    }
    ctx.out() << table.Render(ctx.width()) << "next sync token: " << r.next_sync_token()
              << (r.has_more() ? " (more are waiting)" : "") << "\n";
  });
}

int Watch(Context& ctx, Args& args) {
  v1::WatchEventChangesRequest request;
  request.set_sync_token(args.Get("sync_token"));
  int64_t max_updates = args.Int("max_updates");
  if (!args.ok()) return ctx.Usage(args);
  ExitOnInterrupt();
  // The watch starts from a sync token it holds, so that an interrupted
  // watch (convened restarting, Redis lost, a dead network) watches again
  // after the last change it printed: none twice, none skipped, also of
  // those made while it was away. "From now on" is the feed's position
  // now (ListEvents names it); a --sync_token is checked first (an expired
  // one fails at once). Either call reaching the calendar service makes the
  // watch established: a quiet one carries on too.
  absl::Status start;
  if (request.sync_token().empty()) {
    v1::ListEventsRequest now;
    now.set_page_size(1);
    absl::StatusOr<v1::ListEventsResponse> page = ctx.client().ListEvents(now);
    start = page.status();
    if (page.ok()) request.set_sync_token(page->sync_token());
  } else {
    v1::ListEventChangesRequest check;
    check.set_sync_token(request.sync_token());
    check.set_page_size(1);
    start = ctx.client().ListEventChanges(check).status();
  }
  if (!start.ok()) return ctx.Fail(start);
  int64_t seen = 0;
  bool first = true;
  absl::Status status = WatchUntilStopped("calendar watch", [&](WatchStream& stream) {
    stream.reached = std::exchange(first, false);
    return ctx.client().WatchEventChanges(request, [&](const v1::EventChange& c) {
      stream.shown = true;
      if (ctx.json()) {
        ctx.PrintJson(c);
      } else {
        ctx.out() << ChangeLine(ctx, c) << std::endl;
      }
      request.set_sync_token(c.sync_token());
      return max_updates <= 0 || ++seen < max_updates;
    });
  });
  return status.ok() ? kExitOk : ctx.Fail(status);
}

// "Torino|Europe/Rome|09:00|17:00|1,2,3,4,5": zone or city in the second part.
void ParseMeetingParticipant(Args& args, const std::string& spec, v1::MeetingParticipant& p) {
  std::vector<std::string> parts = absl::StrSplit(spec, '|');
  if (parts.size() < 2 || parts.size() > 5 || parts[1].empty()) {
    return args.Error(absl::StrCat(
        "--participant: expected 'name|zone-or-city[|09:00|17:00[|1,2,3,4,5]]', got \"", spec,
        "\""));
  }
  p.set_name(parts[0]);
  if (parts[1].find('/') != std::string::npos || parts[1] == "UTC") {
    p.set_time_zone(parts[1]);
  } else {
    p.set_city(parts[1]);
  }
  if (parts.size() > 2) p.set_working_start(parts[2]);
  if (parts.size() > 3) p.set_working_end(parts[3]);
  if (parts.size() > 4) {
    for (absl::string_view day : absl::StrSplit(parts[4], ',', absl::SkipEmpty())) {
      int n = 0;
      if (!absl::SimpleAtoi(day, &n)) {
        return args.Error(
            absl::StrCat("--participant: working days are numbers 1-7, got \"", parts[4], "\""));
      }
      p.add_working_days(n);
    }
  }
}

int FindTimes(Context& ctx, Args& args) {
  v1::FindMeetingTimesRequest request;
  for (const std::string& spec : args.All("participant")) {
    ParseMeetingParticipant(args, spec, *request.add_participants());
  }
  if (args.Has("duration")) {
    std::string text = args.Get("duration");
    int64_t minutes = 0;
    if (!absl::SimpleAtoi(text, &minutes)) {
      absl::StatusOr<absl::Duration> d = ParseDurationArg(text);
      if (d.ok()) {
        minutes = absl::ToInt64Minutes(*d);
      } else {
        args.Error(absl::StrCat("--duration: ", d.status().message()));
      }
    }
    request.set_duration_minutes(static_cast<int32_t>(minutes));
  }
  request.set_from_date(args.Get("from_date"));
  request.set_to_date(args.Get("to_date", request.from_date()));
  request.set_range_time_zone(args.Get("range_tz", std::string(ctx.viewer().name())));
  request.set_step_minutes(static_cast<int32_t>(args.Int("step")));
  request.set_max_results(static_cast<int32_t>(args.Int("max_results")));
  if (!args.ok()) return ctx.Usage(args);
  return ctx.Reply(ctx.client().FindMeetingTimes(request), [&](const v1::FindMeetingTimesResponse&
                                                                   r) {
    std::vector<std::string> header = {"#", absl::StrCat("START ", ctx.viewer().name()), "SCORE"};
    for (const v1::MeetingParticipant& p : request.participants()) header.push_back(p.name());
    Table table(header);
    for (size_t c : {0, 1, 2}) table.KeepWhole(c);
    int rank = 0;
    for (const v1::MeetingTimeSlot& slot : r.slots()) {
      std::string start = ctx.InViewer(FromProto(slot.start_time()));
      std::vector<std::string> cells = {absl::StrCat(++rank), start,
                                        absl::StrFormat("%.2f", slot.score())};
      for (const v1::ParticipantLocalTime& t : slot.local_times()) {
        cells.push_back(TimeRange(t.local_start(), t.local_end(), start.substr(0, 10)));
      }
      table.Add(cells);
    }
    if (r.slots().empty()) {
      ctx.out() << "No slot fits everyone's working hours.\n";
    } else {
      ctx.out() << table.Render(ctx.width());
    }
  });
}

constexpr char kEventId[] = "EVENT_ID";

}  // namespace

Command EventsCommands() {
  std::vector<OptionSpec> create_options = EventOptions();
  create_options.push_back({"from_json", "FILE",
                            "read the event (convene.v1.Event as JSON) from FILE ('-': stdin); "
                            "flags given as well override its fields"});
  create_options.push_back(
      {"request_id", "ID", "idempotency key; a retry with it returns the first event"});
  std::vector<OptionSpec> update_options = EventOptions();
  update_options.push_back(
      {"expected_revision", "N", "the revision you read (default: the current one)"});
  std::vector<OptionSpec> window = {
      {"from", "TIME",
       "events ending after it: 2022-03-01, 2022-03-15T09:00 (in --tz) or RFC 3339"},
      {"to", "TIME", "events starting before it"},
      {"community", "TAG", "only this community (CoP1)"},
      {"city", "CITY", "only events in this city"},
  };
  std::vector<OptionSpec> list_options = window;
  for (OptionSpec o :
       std::vector<OptionSpec>{{"format", "FORMAT", EnumChoices(v1::EventFormat_descriptor())},
                               {"kind", "KIND", EnumChoices(v1::EventKind_descriptor())},
                               {"status", "STATUS", EnumChoices(v1::EventStatus_descriptor())},
                               {"page_size", "N", "events per page (1-500, default 50)"},
                               {"page_token", "TOKEN", "continue from a previous page"},
                               {"all", "", "read every page"}}) {
    list_options.push_back(o);
  }
  std::vector<OptionSpec> ics_options = window;
  ics_options.push_back(
      {"include_cancelled", "", "include cancelled events (default for one event)"});
  ics_options.push_back({"out", "FILE", "write the calendar to FILE instead of stdout"});

  return Group(
      "events", "The calendar: create, read, follow and export events",
      {
          Leaf("create", "Create an event from flags or from a JSON file", "", create_options,
               Create,
               "Example (the Thessaloniki workshop; session hours are illustrative):\n"
               "  convene events create --title='CoP1 3rd workshop' --kind=workshop \\\n"
               "    --community=CoP1 --city=Thessaloniki --country=EL --format=hybrid \\\n"
               "    --time_zone=Europe/Athens --start=2022-03-15T09:00 --end=2022-03-17T17:30 \\\n"
               "    --venue='Thessaloniki City Hall' --capacity=25 --platform=Zoom \\\n"
               "    --join_url=https://meet.example.org/cop1-3 --online_capacity=50 \\\n"
               "    --session='Municipality of Thessaloniki|2022-03-15T09:00|2022-03-15T13:00' \\\n"
               "    --session='Guided tour|2022-03-15T14:30|2022-03-15T17:30|in_person'\n"),
          Leaf("list", "Events overlapping a window, in start order", "", list_options, List),
          Leaf("show", "One event with its sessions", kEventId, {}, Show),
          Leaf("agenda", "The event day by day, in your zone (--tz) next to the venue's", kEventId,
               {}, Agenda),
          Leaf("export-ics", "RFC 5545 iCalendar of one event, or of the events matching filters",
               "[EVENT_ID]", ics_options, ExportIcs),
          Leaf("cancel", "Cancel an event; it stays readable as cancelled", kEventId,
               {{"reason", "TEXT", "why; shown to participants (1-1000 chars)"},
                {"expected_revision", "N", "fail with ABORTED if the event changed since"}},
               Cancel),
          Leaf("changes", "Creates, updates and cancels after a sync token", "",
               {{"sync_token", "TOKEN", "where to continue (empty: from the start)"},
                {"page_size", "N", "changes per call (1-1000, default 100)"},
                {"all", "", "read until no more are waiting"}},
               Changes),
          Leaf("watch", "Print changes as they happen, until Ctrl-C", "",
               {{"sync_token", "TOKEN", "start after this change (empty: from now on)"},
                {"max_updates", "N", "stop after N changes"}},
               Watch,
               "When convened or Redis restarts, or the network goes silent, it says\n"
               "\"reconnecting in N s\" on stderr and watches again after the last change\n"
               "printed (1 s, 2 s, ... up to 30 s apart), or after where it began: no\n"
               "change twice, none skipped, also of those made while it was away. Other\n"
               "errors (an expired or foreign --sync_token, a token refused, too many\n"
               "streams) end it, exit 1: after an expired one, list the events again\n"
               "(`convene events list`) and watch from now on.\n"),
          Leaf("find-times", "Slots inside everyone's working hours", "",
               {{"participant", "SPEC",
                 "'name|zone-or-city[|09:00|17:00[|1,2,3,4,5]]' (working hours, ISO weekdays)",
                 true},
                {"duration", "LENGTH", "meeting length: minutes, or 1h30m"},
                {"from_date", "DATE", "first day, YYYY-MM-DD"},
                {"to_date", "DATE", "last day (default: --from_date)"},
                {"range_tz", "ZONE", "zone the dates are read in (default: --tz)"},
                {"step", "MINUTES", "grid of slot starts (5-60, default 30)"},
                {"max_results", "N", "at most N slots (default 10)"}},
               FindTimes,
               "Example:\n"
               "  convene events find-times --participant='Torino|Torino' \\\n"
               "    --participant='Thessaloniki|Europe/Athens|08:00|16:00' --duration=60 \\\n"
               "    --from_date=2022-03-21 --to_date=2022-03-25\n"),
          Leaf("update", "Change the fields given as flags (others stay as they are)", kEventId,
               update_options, Update,
               "--session replaces all sessions (one with a current session's title\n"
               "is that session, kept under its id); --organiser all organisers.\n"),
      });
}

}  // namespace convene::cli
