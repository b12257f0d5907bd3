// convene attendance ...: registrations with one mode per day, check-ins,
// live counts and the sign-in sheet.
#include <unistd.h>

#include <map>
#include <set>

#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "absl/strings/str_split.h"
#include "commands.h"

namespace convene::cli {
namespace {

constexpr char kEventAndPerson[] = "EVENT_ID PARTICIPANT_ID";

OptionSpec ModeOption() {
  return {"mode", "MODE", "in_person|online for every day not named with --day"};
}
OptionSpec DayOption() {
  return {"day", "DATE[=MODE]", "a day and its own mode: 2022-03-15=in_person", true};
}

// --day 2022-03-15=in_person ...
void AddDays(Args& args, google::protobuf::RepeatedPtrField<v1::DayMode>& days) {
  for (const std::string& spec : args.All("day")) {
    std::pair<std::string, std::string> parts = absl::StrSplit(spec, absl::MaxSplits('=', 1));
    v1::DayMode* day = days.Add();
    day->set_date(parts.first);
    if (!parts.second.empty()) {
      day->set_mode(static_cast<v1::AttendanceMode>(args.ParseEnum(
          "day", parts.second, v1::AttendanceMode_descriptor(), v1::ATTENDANCE_MODE_UNSPECIFIED)));
    }
  }
}

// "in person", "online, waitlist 2", "cancelled".
std::string DayCell(const v1::RegistrationDay& d) {
  switch (d.status()) {
    case v1::REGISTRATION_STATUS_WAITLISTED:
      return absl::StrCat(EnumLabel(d.mode()), ", waitlist ", d.waitlist_position());
    case v1::REGISTRATION_STATUS_CANCELLED:
      return absl::StrCat(EnumLabel(d.mode()), ", cancelled");
    default:
      return EnumLabel(d.mode());
  }
}

void PrintRegistration(Context& ctx, const v1::Registration& r) {
  const v1::Participant& p = r.participant();
  std::vector<std::string> about;
  for (const std::string& part : {p.organisation(), p.city(), p.country_code(), p.email()}) {
    if (!part.empty()) about.push_back(part);
  }
  ctx.out() << p.participant_id() << "  " << p.display_name()
            << (about.empty() ? "" : " (" + absl::StrJoin(about, ", ") + ")") << "\n"
            << "  " << r.event_id() << ", " << EnumLabel(r.status()) << ", revision "
            << r.revision() << (r.walk_in() ? ", walk-in" : "")
            << (r.forgotten() ? ", personal data erased" : "") << "\n";
  Table table({"DAY", "MODE", "STATUS", "WAITLIST"});
  for (const v1::RegistrationDay& d : r.days()) {
    table.Add({d.date(), EnumLabel(d.mode()), EnumLabel(d.status()),
               d.waitlist_position() ? absl::StrCat(d.waitlist_position()) : ""});
  }
  ctx.out() << table.Render(ctx.width(), 2);
}

auto ShowRegistration(Context& ctx) {
  return [&ctx](const v1::Registration& r) { PrintRegistration(ctx, r); };
}

void ParticipantFlags(Args& args, v1::Participant& p) {
  p.set_display_name(args.Get("name"));
  p.set_email(args.Get("email"));
  p.set_organisation(args.Get("organisation"));
  p.set_city(args.Get("city"));
  p.set_country_code(args.Get("country"));
  p.set_time_zone(args.Get("participant_tz"));
  p.set_language(args.Get("language"));
}

std::vector<OptionSpec> ParticipantOptions() {
  return {{"name", "TEXT", "name as shown to organisers (required to register)"},
          {"email", "ADDRESS", "for reminders by e-mail"},
          {"organisation", "TEXT", "city administration, NGO, ..."},
          {"city", "CITY", "city the person comes from"},
          {"country", "CC", "ISO 3166-1 alpha-2 code"},
          {"participant_tz", "ZONE", "zone reminders are shown in (default: the event's)"},
          {"language", "LANG", "en|it|el|bg|fr|de|nl for reminders"}};
}

int Register(Context& ctx, Args& args) {
  v1::RegisterRequest request;
  request.set_event_id(args.Positional(0));
  request.mutable_participant()->set_participant_id(args.Positional(1));
  ParticipantFlags(args, *request.mutable_participant());
  request.set_mode(args.Enum("mode", v1::ATTENDANCE_MODE_UNSPECIFIED));
  AddDays(args, *request.mutable_days());
  request.set_request_id(args.Get("request_id"));
  if (!args.ok()) return ctx.Usage(args);
  return ctx.Reply(ctx.client().Register(request), ShowRegistration(ctx));
}

int ChangeMode(Context& ctx, Args& args) {
  v1::ChangeModeRequest request;
  request.set_event_id(args.Positional(0));
  request.set_participant_id(args.Positional(1));
  request.set_mode(args.Enum("mode", v1::ATTENDANCE_MODE_UNSPECIFIED));
  AddDays(args, *request.mutable_days());
  if (!args.ok()) return ctx.Usage(args);
  return ctx.Reply(ctx.client().ChangeMode(request), ShowRegistration(ctx));
}

int CancelRegistration(Context& ctx, Args& args) {
  v1::CancelRegistrationRequest request;
  request.set_event_id(args.Positional(0));
  request.set_participant_id(args.Positional(1));
  for (const std::string& date : args.All("date")) request.add_dates(date);
  request.set_reason(args.Get("reason"));
  return ctx.Reply(ctx.client().CancelRegistration(request), ShowRegistration(ctx));
}

int Show(Context& ctx, Args& args) {
  v1::GetRegistrationRequest request;
  request.set_event_id(args.Positional(0));
  request.set_participant_id(args.Positional(1));
  return ctx.Reply(ctx.client().GetRegistration(request), ShowRegistration(ctx));
}

int List(Context& ctx, Args& args) {
  v1::ListRegistrationsRequest request;
  request.set_event_id(args.Positional(0));
  request.set_mode(args.Enum("mode", v1::ATTENDANCE_MODE_UNSPECIFIED));
  request.set_status(args.Enum("status", v1::REGISTRATION_STATUS_UNSPECIFIED));
  request.set_city(args.Get("city"));
  request.set_day(args.Get("day"));
  request.set_page_size(static_cast<int32_t>(args.Int("page_size")));
  if (!args.ok()) return ctx.Usage(args);
  std::string first_token = args.Get("page_token");
  auto pages =
      ReadPages<v1::ListRegistrationsResponse>(args.Bool("all"), [&](const std::string& token) {
        request.set_page_token(token.empty() ? first_token : token);
        return ctx.client().ListRegistrations(request);
      });
  return ctx.Reply(pages, [&](const v1::ListRegistrationsResponse& r) {
    std::set<std::string> dates;
    for (const v1::Registration& reg : r.registrations()) {
      for (const v1::RegistrationDay& d : reg.days()) dates.insert(d.date());
    }
    std::vector<std::string> header = {"PARTICIPANT", "NAME", "CITY", "STATUS"};
    header.insert(header.end(), dates.begin(), dates.end());
    Table table(header);
    table.KeepWhole(0);
    for (size_t c = 4; c < header.size(); ++c) table.KeepWhole(c);
    for (const v1::Registration& reg : r.registrations()) {
      std::vector<std::string> cells = {
          reg.participant().participant_id(), reg.participant().display_name(),
          reg.participant().city(), EnumLabel(reg.status()) + (reg.walk_in() ? ", walk-in" : "")};
      for (const std::string& date : dates) {
        std::string cell = "-";
        for (const v1::RegistrationDay& d : reg.days()) {
          if (d.date() == date) cell = DayCell(d);
        }
        cells.push_back(cell);
      }
      table.Add(cells);
    }
    ctx.out() << table.Render(ctx.width());
    ctx.out() << r.registrations_size() << " registration"
              << (r.registrations_size() == 1 ? "" : "s") << "\n";
    if (!r.next_page_token().empty()) {
      ctx.out() << "more: --page_token=" << r.next_page_token() << " (or --all)\n";
    }
  });
}

// --day or --session, and --at, of a CheckIn or CheckOut request.
template <typename Request>
void CheckInFlags(Context& ctx, Args& args, Request& request) {
  request.set_day(args.Get("day"));
  request.set_session_id(args.Get("session"));
  if (!args.Has("at")) return;
  absl::StatusOr<absl::Time> at = ctx.ParseTimeArg(args.Get("at"));
  if (!at.ok()) return args.Error(absl::StrCat("--at: ", at.status().message()));
  *request.mutable_occurred_time() = ToProto(*at);
}

void PrintCheckIn(Context& ctx, const v1::CheckInRecord& r, const char* verb) {
  ctx.out() << verb << " " << r.participant_id() << " on "
            << (r.session_id().empty() ? r.day() : "session " + r.session_id()) << ", "
            << EnumLabel(r.mode()) << " (" << EnumLabel(r.source()) << ")"
            << (r.walk_in() ? ", walk-in" : "") << "\n";
  if (IsSet(r.check_in_time())) {
    ctx.out() << "  checked in  " << ctx.InViewer(FromProto(r.check_in_time())) << " "
              << ctx.viewer().name() << "\n";
  }
  if (IsSet(r.first_join_time())) {
    ctx.out() << "  first join  " << ctx.InViewer(FromProto(r.first_join_time())) << "\n";
  }
  if (IsSet(r.last_leave_time())) {
    ctx.out() << "  last leave  " << ctx.InViewer(FromProto(r.last_leave_time())) << "\n";
  }
  if (r.join_count() > 1) ctx.out() << "  reports     " << r.join_count() << "\n";
  if (r.duplicate()) ctx.out() << "  already checked in: counted once\n";
}

int CheckIn(Context& ctx, Args& args) {
  v1::CheckInRequest request;
  request.set_event_id(args.Positional(0));
  request.set_participant_id(args.Positional(1));
  CheckInFlags(ctx, args, request);
  request.set_mode(args.Enum("mode", v1::ATTENDANCE_MODE_IN_PERSON));
  request.set_source(args.Enum("source", request.mode() == v1::ATTENDANCE_MODE_ONLINE
                                             ? v1::CHECK_IN_SOURCE_ONLINE_JOIN
                                             : v1::CHECK_IN_SOURCE_DESK));
  if (args.Has("name")) {
    ParticipantFlags(args, *request.mutable_walk_in());
    request.mutable_walk_in()->set_participant_id(request.participant_id());
  }
  if (!args.ok()) return ctx.Usage(args);
  return ctx.Reply(ctx.client().CheckIn(request),
                   [&](const v1::CheckInRecord& r) { PrintCheckIn(ctx, r, "checked in"); });
}

int CheckOut(Context& ctx, Args& args) {
  v1::CheckOutRequest request;
  request.set_event_id(args.Positional(0));
  request.set_participant_id(args.Positional(1));
  CheckInFlags(ctx, args, request);
  request.set_source(args.Enum("source", v1::CHECK_IN_SOURCE_ONLINE_LEAVE));
  if (!args.ok()) return ctx.Usage(args);
  return ctx.Reply(ctx.client().CheckOut(request),
                   [&](const v1::CheckInRecord& r) { PrintCheckIn(ctx, r, "checked out"); });
}

std::vector<std::string> ModeCells(std::string scope, const v1::ModeCounts& c) {
  return {std::move(scope),
          absl::StrCat(c.registered_in_person()),
          absl::StrCat(c.registered_online()),
          absl::StrCat(c.waitlisted_in_person()),
          absl::StrCat(c.waitlisted_online()),
          absl::StrCat(c.checked_in_in_person()),
          absl::StrCat(c.checked_in_online()),
          absl::StrCat(c.checked_in_total())};
}

std::vector<std::string> UniqueCells(std::string scope, const v1::UniqueAttendees& u) {
  return {std::move(scope),       absl::StrCat(u.in_person_only()), absl::StrCat(u.online_only()),
          absl::StrCat(u.both()), absl::StrCat(u.total()),          absl::StrCat(u.walk_ins())};
}

// Session titles by id, from the event, for counts that come without them;
// empty if the event cannot be read (the counts are still worth showing).
using SessionTitles = std::map<std::string, std::string>;
SessionTitles ReadSessionTitles(Context& ctx, const std::string& event_id) {
  SessionTitles titles;
  absl::StatusOr<v1::Event> event = ctx.client().GetEvent(event_id);
  if (event.ok()) {
    for (const v1::Session& s : event->sessions()) titles[s.id()] = s.title();
  }
  return titles;
}

std::string SessionScope(const v1::SessionCounts& s, const SessionTitles& titles) {
  std::string title = s.title();
  if (auto it = titles.find(s.session_id()); title.empty() && it != titles.end()) {
    title = it->second;
  }
  return absl::StrCat(
      s.session_id(), " ", title,
      s.format() == v1::EVENT_FORMAT_UNSPECIFIED ? "" : " (" + EnumLabel(s.format()) + ")");
}

// One block per day: who registered, waits and came, in the room and online,
// for the day, each session and each city; then the headcount of people
// present, each counted once.
std::string CountsText(Context& ctx, const v1::AttendanceCounts& counts,
                       const SessionTitles& titles) {
  // The event revision says which version of the event (capacities, days)
  // the counts follow: attendance takes calendar changes from its stream.
  std::string out = absl::StrCat("Attendance of ", counts.event_id(), ": ", counts.registrations(),
                                 " registrations (version ", counts.version(),
                                 ", event revision ", counts.event_revision());
  if (IsSet(counts.as_of())) {
    absl::StrAppend(&out, ", as of ", ctx.InViewer(FromProto(counts.as_of())), " ",
                    ctx.viewer().name());
  }
  absl::StrAppend(&out, ")\n");
  for (const v1::DayCounts& day : counts.days()) {
    auto capacity = [](int32_t n) { return n > 0 ? absl::StrCat(n) : std::string("no limit"); };
    absl::StrAppend(&out, "\n", day.date(), "  seats: ", capacity(day.in_person_capacity()),
                    " in person, ", capacity(day.online_capacity()), " online\n");
    Table modes({"", "REGISTERED", "", "WAITLISTED", "", "CHECKED IN", "", ""});
    modes.AddHeader(
        {"SCOPE", "IN PERSON", "ONLINE", "IN PERSON", "ONLINE", "IN PERSON", "ONLINE", "TOTAL"});
    modes.Add(ModeCells("whole day", day.counts()));
    for (const v1::SessionCounts& s : day.sessions()) {
      modes.Add(ModeCells(SessionScope(s, titles), s.counts()));
    }
    for (const v1::GroupCounts& g : day.by_city()) {
      modes.Add(ModeCells("city " + (g.key().empty() ? "(unknown)" : g.key()), g.counts()));
    }
    for (const v1::GroupCounts& g : day.by_organisation()) {
      modes.Add(ModeCells("org " + (g.key().empty() ? "(unknown)" : g.key()), g.counts()));
    }
    absl::StrAppend(&out, modes.Render(ctx.width(), 2));
    Table unique({"PRESENT, EACH PERSON ONCE", "IN PERSON ONLY", "ONLINE ONLY", "BOTH", "HEADCOUNT",
                  "WALK-INS"});
    unique.Add(UniqueCells("whole day", day.unique()));
    for (const v1::SessionCounts& s : day.sessions()) {
      unique.Add(UniqueCells(SessionScope(s, titles), s.unique()));
    }
    absl::StrAppend(&out, "\n", unique.Render(ctx.width(), 2));
  }
  return out;
}

int Counts(Context& ctx, Args& args) {
  return ctx.Reply(ctx.client().GetAttendanceCounts(args.Positional(0)),
                   [&](const v1::AttendanceCounts& c) {
                     ctx.out() << CountsText(ctx, c, ReadSessionTitles(ctx, c.event_id()));
                   });
}

int Watch(Context& ctx, Args& args) {
  v1::WatchAttendanceCountsRequest request;
  request.set_event_id(args.Positional(0));
  int64_t max_updates = args.Int("max_updates");
  if (!args.ok()) return ctx.Usage(args);
  bool redraw = !ctx.json() && isatty(STDOUT_FILENO);
  SessionTitles titles = ctx.json() ? SessionTitles() : ReadSessionTitles(ctx, request.event_id());
  ExitOnInterrupt();
  int64_t seen = 0;
  // The service ends a watch with UNAVAILABLE when it loses its Redis
  // subscription (a restart or failover) or goes away itself: a watch that
  // has shown counts watches again, as the web's live page does, and gets
  // the counts as they are then. One that never got its first counts fails
  // as any other call does.
  absl::Status status = WatchUntilStopped("live counts", [&](WatchStream& stream) {
    return ctx.client().WatchAttendanceCounts(request, [&](const v1::AttendanceCounts& c) {
      stream.shown = true;
      if (ctx.json()) {
        ctx.PrintJson(c);
      } else if (redraw) {
        // Home the cursor and clear the screen, then draw the new counts.
        ctx.out() << "\x1b[H\x1b[2J" << CountsText(ctx, c, titles) << "\n(Ctrl-C to stop)"
                  << std::flush;
      } else {
        ctx.out() << CountsText(ctx, c, titles) << "\n" << std::flush;
      }
      return max_updates <= 0 || ++seen < max_updates;
    });
  });
  if (redraw) ctx.out() << "\n";
  return status.ok() ? kExitOk : ctx.Fail(status);
}

int Report(Context& ctx, Args& args) {
  v1::ExportAttendanceReportRequest request;
  request.set_event_id(args.Positional(0));
  request.set_utf8_bom(args.Bool("bom"));
  absl::StatusOr<v1::ExportAttendanceReportResponse> r =
      ctx.client().ExportAttendanceReport(request);
  if (!r.ok()) return ctx.Fail(r.status());
  if (ctx.json()) return ctx.PrintJson(*r);
  return ctx.Save(args.Get("out"), r->csv(), absl::StrCat(r->rows(), " rows"));
}

int Forget(Context& ctx, Args& args) {
  v1::ForgetParticipantRequest request;
  request.set_participant_id(args.Positional(0));
  request.set_event_id(args.Get("event"));
  request.set_reason(args.Get("reason"));
  return ctx.Reply(
      ctx.client().ForgetParticipant(request), [&](const v1::ForgetParticipantResponse& r) {
        ctx.out() << "erased " << request.participant_id() << " from "
                  << (r.event_ids().empty() ? "no event" : absl::StrJoin(r.event_ids(), ", "))
                  << "\n"
                  << "  registrations erased   " << r.registrations_erased() << "\n"
                  << "  changes redacted       " << r.changes_redacted() << "\n"
                  << "  reminders and notification texts: erased by the notification "
                     "service from the attendance stream\n";
      });
}

}  // namespace

Command AttendanceCommands() {
  std::vector<OptionSpec> register_options = ParticipantOptions();
  register_options.push_back(ModeOption());
  register_options.push_back(DayOption());
  register_options.push_back(
      {"request_id", "ID", "idempotency key; a retry returns the first result"});
  std::vector<OptionSpec> check_options = {
      {"day", "DATE", "the event day (exactly one of --day and --session)"},
      {"session", "ID", "the session (s1, s2, ...)"},
      {"at", "TIME", "when it happened (default: now): RFC 3339, or local in --tz"}};
  std::vector<OptionSpec> checkin_options = check_options;
  checkin_options.push_back({"mode", "MODE", "in_person (default) or online"});
  checkin_options.push_back(
      {"source", "SOURCE", "desk|badge|online_join (default: desk, online_join when online)"});
  for (OptionSpec o : ParticipantOptions()) {
    if (o.name == "name") o.help = "walk-in (not registered): the name to record";
    checkin_options.push_back(o);
  }
  std::vector<OptionSpec> checkout_options = check_options;
  checkout_options.push_back({"source", "SOURCE", "online_leave (default)"});

  return Group(
      "attendance",
      "Registrations with one mode per day, check-ins, live counts, the sign-in sheet",
      {
          Leaf("register", "Register a participant for some or all days, each in its own mode",
               kEventAndPerson, register_options, Register,
               "Example: in the room on day 1, online on day 2:\n"
               "  convene attendance register ev_... torino-1 --name='Partner Torino' \\\n"
               "    --city=Torino --day=2022-03-15=in_person --day=2022-03-16=online\n"
               "Without --day: every day of the event in --mode.\n"),
          Leaf("change-mode", "Change the mode of every day (--mode) or of some (--day; a day not held is added)",
               kEventAndPerson, {ModeOption(), DayOption()}, ChangeMode),
          Leaf("cancel", "Cancel a registration, or some of its days", kEventAndPerson,
               {{"date", "DATE", "a day to cancel (default: all)", true},
                {"reason", "TEXT", "why, at most 1000 chars"}},
               CancelRegistration),
          Leaf("show", "One registration, each day with its mode and status", kEventAndPerson, {},
               Show),
          Leaf("list", "Registrations of an event, each day with its mode and status", "EVENT_ID",
               {{"mode", "MODE", "only those with a day in this mode"},
                {"status", "STATUS", EnumChoices(v1::RegistrationStatus_descriptor())},
                {"city", "CITY", "only people from this city"},
                {"day", "DATE", "--mode and --status apply to this day"},
                {"page_size", "N", "registrations per page (1-500, default 100)"},
                {"page_token", "TOKEN", "continue from a previous page"},
                {"all", "", "read every page"}},
               List),
          Leaf("checkin", "Record presence for a day or a session (counted once per person)",
               kEventAndPerson, checkin_options, CheckIn),
          Leaf("checkout", "Record that an online participant left", kEventAndPerson,
               checkout_options, CheckOut),
          Leaf("counts", "Registered, waitlisted and present per day, session and city; headcount",
               "EVENT_ID", {}, Counts),
          Leaf("watch", "Counts redrawn live as they change, until Ctrl-C", "EVENT_ID",
               {{"max_updates", "N", "stop after N updates (the first is the counts now)"}}, Watch),
          Leaf("report", "The CSV sign-in sheet", "EVENT_ID",
               {{"out", "FILE", "write it to FILE instead of stdout"},
                {"bom", "", "start with a UTF-8 byte order mark (for Excel)"}},
               Report),
          Leaf("forget", "Erase a participant's personal data (one event, or every event)",
               "PARTICIPANT_ID",
               {{"event", "EVENT_ID", "only this event (default: every event)"},
                {"reason", "TEXT", "why, without personal data (GDPR art. 17 request ...)"}},
               Forget),
      });
}

}  // namespace convene::cli
