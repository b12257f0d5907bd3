// convene changes ...: the change feed across services: schedule and
// attendance changes in one order, resumable from a position.
//
//   convene changes list --event=ev_952d57dc09850eab --kind=checked_in --all
//   convene changes watch --position=1700000000000-0
#include "absl/strings/str_join.h"
#include "commands.h"

namespace convene::cli {
namespace {

// What changed, in a few words: the event's title, the days and modes of a
// registration, the day or session of a presence.
std::string Detail(const v1::Change& c) {
  if (c.has_event()) return c.event().title();
  if (c.has_registration()) {
    std::vector<std::string> days;
    for (const v1::RegistrationDay& d : c.registration().days()) {
      days.push_back(absl::StrCat(d.date(), " ", EnumLabel(d.mode()), " ", EnumLabel(d.status())));
    }
    return absl::StrJoin(days, ", ");
  }
  if (c.has_check_in()) {
    const v1::CheckInRecord& r = c.check_in();
    return absl::StrCat(r.day().empty() ? "session " + r.session_id() : r.day(), " ",
                        EnumLabel(r.mode()), " (", EnumLabel(r.source()), ")");
  }
  return c.reason();
}

void AddFilters(Args& args, std::string* event_id,
                google::protobuf::RepeatedField<int>* kinds) {
  *event_id = args.Get("event");
  for (const std::string& kind : args.All("kind")) {
    kinds->Add(args.ParseEnum("kind", kind, v1::ChangeKind_descriptor(),
                              v1::CHANGE_KIND_UNSPECIFIED));
  }
}

int List(Context& ctx, Args& args) {
  v1::ListChangesRequest request;
  request.set_position(args.Get("position"));
  request.set_page_size(static_cast<int32_t>(args.Int("page_size")));
  AddFilters(args, request.mutable_event_id(), request.mutable_kinds());
  bool all = args.Bool("all");
  if (!args.ok()) return ctx.Usage(args);
  absl::StatusOr<v1::ListChangesResponse> result = ctx.client().ListChanges(request);
  // --all: on while the feed says more are waiting (bounded, as in ReadPages).
  for (int pages = 1; all && result.ok() && result->has_more() && pages < 10000; ++pages) {
    request.set_position(result->next_position());
    absl::StatusOr<v1::ListChangesResponse> next = ctx.client().ListChanges(request);
    if (!next.ok()) {
      result = next.status();
      break;
    }
    for (const v1::Change& c : next->changes()) *result->add_changes() = c;
    result->set_next_position(next->next_position());
    result->set_has_more(next->has_more());
  }
  return ctx.Reply(result, [&](const v1::ListChangesResponse& r) {
    Table table({absl::StrCat("WHEN ", ctx.viewer().name()), "CHANGE", "EVENT", "PARTICIPANT",
                 "DETAIL"});
    for (size_t c : {0, 2, 3}) table.KeepWhole(c);
    for (const v1::Change& c : r.changes()) {
      table.Add({ctx.InViewer(FromProto(c.change_time())), EnumLabel(c.kind()), c.event_id(),
                 c.participant_id(), Detail(c)});
    }
    ctx.out() << table.Render(ctx.width()) << "next position: " << r.next_position()
              << (r.has_more() ? " (more are waiting)" : "") << "\n";
  });
}

int Watch(Context& ctx, Args& args) {
  v1::WatchChangesRequest request;
  request.set_position(args.Get("position"));
  AddFilters(args, request.mutable_event_id(), request.mutable_kinds());
  int64_t max_updates = args.Int("max_updates");
  if (!args.ok()) return ctx.Usage(args);
  ExitOnInterrupt();
  int64_t seen = 0;
  // An interrupted watch (convened restarting, Redis lost, a dead network)
  // watches again after the last change it printed, so nothing is printed
  // twice or skipped. Until it has printed one, it resumes where it began:
  // after --position, or, when none was given, after the position the
  // first stream named as its start (a change relayed while the watch was
  // away is after it, whenever it reconnects).
  absl::Status status = WatchUntilStopped("change feed watch", [&](WatchStream& stream) {
    return ctx.client().WatchChanges(
        request,
        [&](const v1::Change& c) {
          stream.shown = true;
          if (ctx.json()) {
            ctx.PrintJson(c);
          } else {
            ctx.out() << ctx.InViewer(FromProto(c.change_time())) << "  " << EnumLabel(c.kind())
                      << "  " << c.event_id() << (c.participant_id().empty() ? "" : "  ")
                      << c.participant_id() << "  " << Detail(c) << "  @" << c.position()
                      << std::endl;
          }
          request.set_position(c.position());
          return max_updates <= 0 || ++seen < max_updates;
        },
        &stream.reached,
        [&](const std::string& start) {
          if (request.position().empty()) request.set_position(start);
        });
  });
  return status.ok() ? kExitOk : ctx.Fail(status);
}

}  // namespace

Command ChangesCommands() {
  const std::vector<OptionSpec> filters = {
      {"event", "EVENT_ID", "only this event's changes"},
      {"kind", "KIND", EnumChoices(v1::ChangeKind_descriptor()), true},
  };
  std::vector<OptionSpec> list_options = {
      {"position", "POSITION", "continue after this position (empty: the oldest kept)"},
      {"page_size", "N", "changes per call (1-1000, default 100)"},
      {"all", "", "read until no more are waiting"}};
  std::vector<OptionSpec> watch_options = {
      {"position", "POSITION", "replay after this position, then go on live "
                               "(empty: from now on)"},
      {"max_updates", "N", "stop after N changes"}};
  for (const OptionSpec& f : filters) {
    list_options.push_back(f);
    watch_options.push_back(f);
  }
  return Group(
      "changes",
      "One feed of schedule and attendance changes (events, registrations, check-ins, "
      "erasures), resumable from a position",
      {
          Leaf("list", "Changes after a position, filtered by event and kind", "", list_options,
               List,
               "Positions order the feed; keep the last one and continue from it.\n"
               "The feed holds ids, days and modes, never names or e-mails.\n"
               "Example:\n"
               "  convene changes list --event=ev_952d57dc09850eab --kind=checked_in --all\n"),
          Leaf("watch", "Print changes as they happen, until Ctrl-C", "", watch_options, Watch,
               "Each line ends with the change's position (@...). When convened or Redis\n"
               "restarts, or the network goes silent, it says \"reconnecting in N s\" on\n"
               "stderr and watches again after the last change printed (1 s, 2 s, ... up\n"
               "to 30 s apart): no change twice, none skipped. Before the first change it\n"
               "resumes after --position, or, without one, after where it began. Other\n"
               "errors (a bad filter, an expired position, a token refused) end it, exit 1.\n"),
      });
}

}  // namespace convene::cli
