// convene tokens ...: the bearer tokens callers send, through the admin
// service (an admin token only).
//
//   convene tokens create --name='check-in desk' --role=checkin --event=ev_0123456789abcdef
//   convene tokens list --tz=Europe/Athens
//   convene tokens revoke tok_0123456789ab
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "commands.h"

namespace convene::cli {
namespace {

constexpr char kRoles[] = "admin|organizer|checkin|integration|reminder-job";

// "all events", or the event ids.
std::string Scope(const v1::Token& t) {
  return t.event_ids().empty() ? "all events" : absl::StrJoin(t.event_ids(), ", ");
}

// The server's role name: "reminder_job" and "Reminder-Job" are read as
// "reminder-job", as enum values elsewhere take '-' and '_' alike. Whether it
// is a role at all the server says (INVALID_ARGUMENT naming token.role).
std::string RoleArg(const std::string& text) {
  return absl::StrReplaceAll(absl::AsciiStrToLower(text), {{"_", "-"}});
}

// The admin service is there only when the server authenticates callers.
absl::Status Explain(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnimplemented) return status;
  return absl::UnimplementedError(absl::StrCat(
      status.message(),
      " (the server has no AdminService: it runs without authentication, --insecure)"));
}

// "2022-06-13 09:00 Europe/Athens (in 90d)".
std::string Expiry(Context& ctx, const google::protobuf::Timestamp& ts) {
  if (!IsSet(ts)) return "never";
  absl::Time t = FromProto(ts);
  std::string text = absl::StrCat(ctx.InViewer(t), " ", ctx.viewer().name());
  absl::Duration left = absl::Ceil(t - absl::Now(), absl::Minutes(1));
  if (left > absl::ZeroDuration()) absl::StrAppend(&text, " (in ", ShortDuration(left), ")");
  return text;
}

void PrintCreated(Context& ctx, const v1::CreateTokenResponse& r) {
  const v1::Token& t = r.token();
  std::ostream& out = ctx.out();
  out << t.id() << "  " << t.name() << "\n";
  auto row = [&](const char* label, const std::string& value) {
    out << "  " << label << std::string(9 - std::strlen(label), ' ') << value << "\n";
  };
  row("role", t.role());
  row("scope", Scope(t));
  row("expires", Expiry(ctx, t.expire_time()));
  out << "Secret, shown this once (only its hash is kept; send it as --token or "
         "$CONVENE_TOKEN):\n"
      << r.secret() << "\n";
}

int Create(Context& ctx, Args& args) {
  v1::CreateTokenRequest request;
  v1::Token& token = *request.mutable_token();
  token.set_name(args.Get("name"));
  token.set_role(RoleArg(args.Get("role")));
  for (const std::string& id : args.All("event")) token.add_event_ids(id);
  if (args.Has("ttl")) {
    absl::StatusOr<absl::Duration> ttl = ParseDurationArg(args.Get("ttl"));
    if (!ttl.ok()) {
      args.Error(absl::StrCat("--ttl: ", ttl.status().message()));
    } else if (*ttl <= absl::ZeroDuration()) {
      args.Error(absl::StrCat("--ttl: expected a positive duration, got \"", args.Get("ttl"),
                              "\""));
    } else {
      *request.mutable_ttl() = ToProto(*ttl);
    }
  }
  if (!args.ok()) return ctx.Usage(args);
  absl::StatusOr<v1::CreateTokenResponse> created = ctx.client().CreateToken(request);
  if (!created.ok()) return ctx.Fail(Explain(created.status()));
  return ctx.Reply(created, [&](const v1::CreateTokenResponse& r) { PrintCreated(ctx, r); });
}

int List(Context& ctx, Args& args) {
  absl::StatusOr<v1::ListTokensResponse> listed = ctx.client().ListTokens();
  if (!listed.ok()) return ctx.Fail(Explain(listed.status()));
  return ctx.Reply(listed, [&](const v1::ListTokensResponse& r) {
    Table table({"ID", "NAME", "ROLE", "SCOPE", absl::StrCat("EXPIRES ", ctx.viewer().name())});
    for (size_t c : {0, 2, 4}) table.KeepWhole(c);
    for (const v1::Token& t : r.tokens()) {
      table.Add({t.id(), t.name(), t.role(), Scope(t),
                 IsSet(t.expire_time()) ? ctx.InViewer(FromProto(t.expire_time())) : "never"});
    }
    ctx.out() << table.Render(ctx.width()) << r.tokens_size()
              << (r.tokens_size() == 1 ? " token\n" : " tokens\n");
  });
}

int Revoke(Context& ctx, Args& args) {
  absl::Status status = ctx.client().RevokeToken(args.Positional(0));
  if (!status.ok()) return ctx.Fail(Explain(status));
  // The call answers an empty message.
  ctx.out() << (ctx.json() ? "{}" : absl::StrCat("revoked ", args.Positional(0))) << std::endl;
  return kExitOk;
}

}  // namespace

Command TokensCommands() {
  return Group(
      "tokens", "Bearer tokens of the callers (needs an admin token)",
      {
          Leaf("create", "Make a token and print its secret, the only time it is shown", "",
               {{"name", "NAME", "what it is for ('check-in desk Thessaloniki'), 1-100 chars"},
                {"role", "ROLE", kRoles},
                {"event", "EVENT_ID", "may act on this event only (default: every event)", true},
                {"ttl", "DURATION", "valid for 90d (default), 24h, 30m...: 1 minute - 400 days"}},
               Create,
               "Roles: admin calls everything; organizer runs events and their participants;\n"
               "checkin checks people in and reads counts; integration reads calendars and\n"
               "counts, never personal data; reminder-job sends the reminders.\n"
               "The server checks the role and the ttl (exit 1 naming token.role or ttl).\n"
               "A token with --event may not call what spans the calendar (events list).\n"
               "\n"
               "The secret is printed on a line of its own (--output=json: the field\n"
               "\"secret\"); only its hash is stored, so keep it now. The id (tok_...)\n"
               "names the token in list and revoke.\n"
               "\n"
               "Example:\n"
               "  convene tokens create --name='check-in desk Thessaloniki' --role=checkin \\\n"
               "    --event=ev_0123456789abcdef --ttl=3d\n"),
          Leaf("list", "Tokens not revoked or expired (never their secrets)", "", {}, List),
          Leaf("revoke", "Revoke a token at once, on every server", "TOKEN_ID", {}, Revoke),
      },
      "The first admin token comes from `convene-admin bootstrap-token --redis=...`.\n"
      "Give a token with --token or $CONVENE_TOKEN. The server must authenticate\n"
      "callers (not --insecure) to offer these commands.\n");
}

}  // namespace convene::cli
