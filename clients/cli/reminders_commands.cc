// convene reminders ...: reminder policies, planned reminders, notifications
// and their sinks (a subscribed sender, webhooks).
#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "commands.h"

namespace convene::cli {
namespace {

std::string Offsets(const google::protobuf::RepeatedPtrField<google::protobuf::Duration>& list) {
  std::vector<std::string> parts;
  for (const auto& d : list) parts.push_back(ShortDuration(FromProto(d)));
  return parts.empty() ? "none" : absl::StrJoin(parts, ", ");
}

void PrintPolicy(Context& ctx, const v1::ReminderPolicy& p) {
  ctx.out() << "Reminder policy of " << p.event_id() << (p.is_default() ? " (the default)" : "")
            << "\n  before the event     " << Offsets(p.before_event())
            << "\n  before each day      " << Offsets(p.before_each_day()) << "\n";
}

int PolicyShow(Context& ctx, Args& args) {
  return ctx.Reply(ctx.client().GetReminderPolicy(args.Positional(0)),
                   [&](const v1::ReminderPolicy& p) { PrintPolicy(ctx, p); });
}

// "7d,1d,1h" (and repeated flags) into `out`; an empty value means none.
void ParseOffsets(Args& args, const char* flag,
                  google::protobuf::RepeatedPtrField<google::protobuf::Duration>& out) {
  out.Clear();
  for (const std::string& value : args.All(flag)) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      absl::StatusOr<absl::Duration> d = ParseDurationArg(absl::StripAsciiWhitespace(part));
      if (!d.ok()) {
        args.Error(absl::StrCat("--", flag, ": ", d.status().message()));
        continue;
      }
      *out.Add() = ToProto(*d);
    }
  }
}

int PolicySet(Context& ctx, Args& args) {
  v1::SetReminderPolicyRequest request;
  v1::ReminderPolicy& policy = *request.mutable_policy();
  policy.set_event_id(args.Positional(0));
  bool before_event = args.Has("before_event"), before_each_day = args.Has("before_each_day");
  if (!before_event && !before_each_day) {
    return ctx.Usage(args, "name --before_event, --before_each_day or both");
  }
  v1::ReminderPolicy given;
  ParseOffsets(args, "before_event", *given.mutable_before_event());
  ParseOffsets(args, "before_each_day", *given.mutable_before_each_day());
  if (!args.ok()) return ctx.Usage(args);
  if (!before_event || !before_each_day) {
    // The list not named stays as it is.
    absl::StatusOr<v1::ReminderPolicy> current = ctx.client().GetReminderPolicy(policy.event_id());
    if (!current.ok()) return ctx.Fail(current.status());
    policy = *current;
    policy.clear_is_default();
    policy.clear_update_time();
  }
  if (before_event) *policy.mutable_before_event() = given.before_event();
  if (before_each_day) *policy.mutable_before_each_day() = given.before_each_day();
  return ctx.Reply(ctx.client().SetReminderPolicy(request),
                   [&](const v1::ReminderPolicy& p) { PrintPolicy(ctx, p); });
}

int List(Context& ctx, Args& args) {
  v1::ListScheduledRemindersRequest request;
  request.set_event_id(args.Positional(0));
  request.set_participant_id(args.Get("participant"));
  request.set_page_size(static_cast<int32_t>(args.Int("page_size")));
  if (!args.ok()) return ctx.Usage(args);
  std::string first_token = args.Get("page_token");
  auto pages = ReadPages<v1::ListScheduledRemindersResponse>(
      args.Bool("all"), [&](const std::string& token) {
        request.set_page_token(token.empty() ? first_token : token);
        return ctx.client().ListScheduledReminders(request);
      });
  return ctx.Reply(pages, [&](const v1::ListScheduledRemindersResponse& r) {
    // The event column only when reminders of several events may show.
    bool by_event = !request.event_id().empty();
    std::vector<std::string> header = {absl::StrCat("DUE ", ctx.viewer().name()),
                                       "FOR THE PARTICIPANT",
                                       "PARTICIPANT",
                                       "KIND",
                                       "BEFORE",
                                       "DAY",
                                       "MODE"};
    if (!by_event) header.push_back("EVENT");
    Table table(header);
    for (size_t c : {0, 1, 2, 7}) table.KeepWhole(c);
    for (const v1::ScheduledReminder& m : r.reminders()) {
      std::vector<std::string> cells = {ctx.InViewer(FromProto(m.due_time())),
                                        absl::StrCat(ShowLocal(m.due_local()), " ", m.time_zone()),
                                        m.participant_id(),
                                        EnumLabel(m.kind()),
                                        ShortDuration(FromProto(m.offset())),
                                        m.day(),
                                        EnumLabel(m.mode())};
      if (!by_event) cells.push_back(m.event_id());
      table.Add(cells);
    }
    ctx.out() << table.Render(ctx.width()) << r.reminders_size() << " planned\n";
    if (!r.next_page_token().empty()) {
      ctx.out() << "more: --page_token=" << r.next_page_token() << " (or --all)\n";
    }
  });
}

int Notifications(Context& ctx, Args& args) {
  v1::ListNotificationsRequest request;
  request.set_event_id(args.Positional(0));
  request.set_state(args.Enum("state", v1::NOTIFICATION_STATE_UNSPECIFIED));
  request.set_page_size(static_cast<int32_t>(args.Int("page_size")));
  if (!args.ok()) return ctx.Usage(args);
  std::string first_token = args.Get("page_token");
  auto pages =
      ReadPages<v1::ListNotificationsResponse>(args.Bool("all"), [&](const std::string& token) {
        request.set_page_token(token.empty() ? first_token : token);
        return ctx.client().ListNotifications(request);
      });
  return ctx.Reply(pages, [&](const v1::ListNotificationsResponse& r) {
    Table table({"ID", "STATE", "KIND", "PARTICIPANT", absl::StrCat("DUE ", ctx.viewer().name()),
                 "TRIES", "SUBJECT", "FAILURE"});
    for (size_t c : {0, 4}) table.KeepWhole(c);
    for (const v1::Notification& n : r.notifications()) {
      table.Add({n.notification_id(), EnumLabel(n.state()), EnumLabel(n.kind()), n.participant_id(),
                 ctx.InViewer(FromProto(n.due_time())), absl::StrCat(n.attempts()), n.subject(),
                 n.failure_reason()});
    }
    ctx.out() << table.Render(ctx.width()) << r.notifications_size() << " notifications\n";
    if (!r.next_page_token().empty()) {
      ctx.out() << "more: --page_token=" << r.next_page_token() << " (or --all)\n";
    }
  });
}

int RunOnce(Context& ctx, Args& args) {
  v1::RunDueRemindersRequest request;
  request.set_max_reminders(static_cast<int32_t>(args.Int("max_reminders")));
  if (!args.ok()) return ctx.Usage(args);
  return ctx.Reply(ctx.client().RunDueReminders(request),
                   [&](const v1::RunDueRemindersResponse& r) {
                     ctx.out() << "dispatched " << r.dispatched() << ", failed " << r.failed()
                               << ", still due " << r.remaining_due() << "\n";
                   });
}

int Subscribe(Context& ctx, Args& args) {
  v1::SubscribeNotificationsRequest request;
  request.set_subscriber(args.Get("subscriber"));
  for (const std::string& id : args.All("event")) request.add_event_ids(id);
  if (args.Has("ack_timeout")) {
    absl::StatusOr<absl::Duration> d = ParseDurationArg(args.Get("ack_timeout"));
    if (d.ok()) {
      *request.mutable_ack_timeout() = ToProto(*d);
    } else {
      args.Error(absl::StrCat("--ack_timeout: ", d.status().message()));
    }
  }
  bool ack = args.Bool("ack");
  int64_t max_updates = args.Int("max_updates");
  if (!args.ok()) return ctx.Usage(args);
  ExitOnInterrupt();
  int64_t seen = 0;
  absl::Status ack_status;
  absl::Status status =
      ctx.client().SubscribeNotifications(request, [&](const v1::Notification& n) {
        if (ctx.json()) {
          ctx.PrintJson(n);
        } else {
          ctx.out() << n.notification_id() << "  " << EnumLabel(n.kind()) << " to "
                    << n.recipient_name() << (n.recipient_email().empty() ? "" : " <")
                    << n.recipient_email() << (n.recipient_email().empty() ? "" : ">") << ", due "
                    << ctx.InViewer(FromProto(n.due_time()));
          // The key senders dedupe on, when it is not the id itself.
          if (n.idempotency_key() != n.notification_id()) {
            ctx.out() << "  [" << n.idempotency_key() << "]";
          }
          ctx.out() << "\n  Subject: " << n.subject() << "\n  "
                    << absl::StrReplaceAll(n.body(), {{"\n", "\n  "}}) << "\n";
        }
        if (ack) {
          v1::AckNotificationRequest a;
          a.set_subscriber(request.subscriber());
          a.set_notification_id(n.notification_id());
          ack_status = ctx.client().AckNotification(a);
          if (!ack_status.ok()) return false;
          if (!ctx.json()) ctx.out() << "  (acknowledged)\n";
        }
        ctx.out().flush();
        return max_updates <= 0 || ++seen < max_updates;
      });
  if (!ack_status.ok()) return ctx.Fail(ack_status);
  return status.ok() ? kExitOk : ctx.Fail(status);
}

// Prints "{}" for JSON output: the call answers an empty message.
int Done(Context& ctx, const absl::Status& status, const std::string& text) {
  if (!status.ok()) return ctx.Fail(status);
  ctx.out() << (ctx.json() ? "{}" : text) << std::endl;
  return kExitOk;
}

int Ack(Context& ctx, Args& args) {
  v1::AckNotificationRequest request;
  request.set_subscriber(args.Get("subscriber"));
  request.set_notification_id(args.Positional(0));
  return Done(ctx, ctx.client().AckNotification(request),
              absl::StrCat("acknowledged ", request.notification_id()));
}

void PrintWebhooks(Context& ctx, const std::vector<const v1::Webhook*>& hooks) {
  Table table({"ID", "URL", "EVENTS", absl::StrCat("CREATED ", ctx.viewer().name())});
  table.KeepWhole(0);
  for (const v1::Webhook* w : hooks) {
    table.Add({w->id(), w->url(),
               w->event_ids().empty() ? "all" : absl::StrJoin(w->event_ids(), ","),
               IsSet(w->create_time()) ? ctx.InViewer(FromProto(w->create_time())) : ""});
  }
  ctx.out() << table.Render(ctx.width());
}

int WebhookCreate(Context& ctx, Args& args) {
  v1::CreateWebhookRequest request;
  request.mutable_webhook()->set_url(args.Get("url"));
  const char* env_secret = std::getenv("CONVENE_WEBHOOK_SECRET");
  request.mutable_webhook()->set_secret(args.Get("secret", env_secret ? env_secret : ""));
  for (const std::string& id : args.All("event")) request.mutable_webhook()->add_event_ids(id);
  return ctx.Reply(ctx.client().CreateWebhook(request),
                   [&](const v1::Webhook& w) { PrintWebhooks(ctx, {&w}); });
}

int WebhookList(Context& ctx, Args& args) {
  return ctx.Reply(ctx.client().ListWebhooks(), [&](const v1::ListWebhooksResponse& r) {
    std::vector<const v1::Webhook*> hooks;
    for (const v1::Webhook& w : r.webhooks()) hooks.push_back(&w);
    PrintWebhooks(ctx, hooks);
  });
}

int WebhookDelete(Context& ctx, Args& args) {
  return Done(ctx, ctx.client().DeleteWebhook(args.Positional(0)),
              absl::StrCat("deleted ", args.Positional(0)));
}

// The registration notice kinds by the names people type ("promoted") and
// their wire values.
const std::vector<std::pair<std::string, v1::NotificationKind>>& NoticeKinds() {
  static const auto* kinds = new std::vector<std::pair<std::string, v1::NotificationKind>>{
      {"confirmed", v1::NOTIFICATION_KIND_REGISTRATION_CONFIRMED},
      {"waitlisted", v1::NOTIFICATION_KIND_WAITLISTED},
      {"promoted", v1::NOTIFICATION_KIND_PROMOTED},
      {"mode-changed", v1::NOTIFICATION_KIND_MODE_CHANGED},
      {"cancelled", v1::NOTIFICATION_KIND_REGISTRATION_CANCELLED},
      {"day-cancelled", v1::NOTIFICATION_KIND_DAY_CANCELLED},
      {"rescheduled", v1::NOTIFICATION_KIND_RESCHEDULED},
      {"venue-changed", v1::NOTIFICATION_KIND_VENUE_CHANGED}};
  return *kinds;
}

void PrintNotices(Context& ctx, const v1::ReminderPolicy& p) {
  std::vector<std::string> sent, muted;
  for (const auto& [name, kind] : NoticeKinds()) {
    const bool off = std::find(p.muted_notices().begin(), p.muted_notices().end(), kind) !=
                     p.muted_notices().end();
    (off ? muted : sent).push_back(name);
  }
  ctx.out() << "Registration notices of " << p.event_id()
            << "\n  sent     " << (sent.empty() ? "none" : absl::StrJoin(sent, ", "))
            << "\n  muted    " << (muted.empty() ? "none" : absl::StrJoin(muted, ", ")) << "\n";
}

int NoticesShow(Context& ctx, Args& args) {
  return ctx.Reply(ctx.client().GetReminderPolicy(args.Positional(0)),
                   [&](const v1::ReminderPolicy& p) { PrintNotices(ctx, p); });
}

int NoticesSet(Context& ctx, Args& args) {
  if (!args.Has("mute")) return ctx.Usage(args, "name the kinds to --mute ('' for none)");
  v1::ReminderPolicy muted;
  for (const std::string& value : args.All("mute")) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      part = absl::StripAsciiWhitespace(part);
      auto it = std::find_if(NoticeKinds().begin(), NoticeKinds().end(),
                             [&](const auto& k) { return k.first == part; });
      if (it == NoticeKinds().end()) {
        args.Error(absl::StrCat("--mute: ", part, " is not a notice kind (",
                                absl::StrJoin(NoticeKinds(), ", ",
                                              [](std::string* out, const auto& k) {
                                                out->append(k.first);
                                              }),
                                ")"));
        continue;
      }
      muted.add_muted_notices(it->second);
    }
  }
  if (!args.ok()) return ctx.Usage(args);
  // The reminder offsets stay as they are.
  absl::StatusOr<v1::ReminderPolicy> current = ctx.client().GetReminderPolicy(args.Positional(0));
  if (!current.ok()) return ctx.Fail(current.status());
  v1::SetReminderPolicyRequest request;
  v1::ReminderPolicy& policy = *request.mutable_policy();
  policy = *current;
  policy.clear_is_default();
  policy.clear_update_time();
  *policy.mutable_muted_notices() = muted.muted_notices();
  return ctx.Reply(ctx.client().SetReminderPolicy(request),
                   [&](const v1::ReminderPolicy& p) { PrintNotices(ctx, p); });
}

}  // namespace

Command NoticesCommands() {
  return Group(
      "notices",
      "Which registration notices an event's participants get (confirmed, waitlisted, "
      "promoted, ...)",
      {
          Leaf("show", "The kinds sent and muted for the event", "EVENT_ID", {}, NoticesShow),
          Leaf("set", "Mute registration notice kinds for the event (reminders are not affected)",
               "EVENT_ID",
               {{"mute", "LIST",
                 "kinds not to send: confirmed,waitlisted,promoted,mode-changed,cancelled,"
                 "day-cancelled,rescheduled,venue-changed ('': send every kind)",
                 true}},
               NoticesSet),
      });
}

Command RemindersCommands() {
  const std::string kDurations = "Durations: 7d, 1h30m, 90s, or ISO 8601 (P7D, PT1H).\n";
  std::vector<OptionSpec> paging = {{"page_size", "N", "entries per page"},
                                    {"page_token", "TOKEN", "continue from a previous page"},
                                    {"all", "", "read every page"}};
  std::vector<OptionSpec> list_options = {
      {"participant", "ID", "only this participant's (with or without EVENT_ID)"}};
  list_options.insert(list_options.end(), paging.begin(), paging.end());
  std::vector<OptionSpec> notification_options = {
      {"state", "STATE", EnumChoices(v1::NotificationState_descriptor())}};
  notification_options.insert(notification_options.end(), paging.begin(), paging.end());
  return Group(
      "reminders", "Reminder policies, planned reminders, notifications and their sinks",
      {
          Group("policy", "When an event's participants are reminded",
                {
                    Leaf("show", "The event's reminder policy (or the default one)", "EVENT_ID", {},
                         PolicyShow),
                    Leaf("set", "Set the reminder policy and re-plan the event's reminders",
                         "EVENT_ID",
                         {{"before_event", "LIST",
                           "offsets before the event's start: 7d,1d,1h ('': none)", true},
                          {"before_each_day", "LIST",
                           "offsets before each day's first session: 1h ('': none)", true}},
                         PolicySet, "A list not named keeps its current value.\n" + kDurations),
                }),
          Leaf("list", "Reminders planned and not yet sent, with their due times", "[EVENT_ID]",
               list_options, List),
          Leaf("notifications", "An event's notifications: pending, sent, failed with the reason",
               "EVENT_ID", notification_options, Notifications),
          Leaf("run-once", "Dispatch the reminders due now", "",
               {{"max_reminders", "N", "at most N (default 10000)"}}, RunOnce),
          Leaf("subscribe", "Receive notifications as a sender (mail or SMS gateway), until Ctrl-C",
               "",
               {{"subscriber", "NAME", "the sender's name; senders of one name share the work"},
                {"event", "EVENT_ID", "only this event's", true},
                {"ack_timeout", "DURATION", "redeliver after this long unacknowledged"},
                {"ack", "", "acknowledge each notification once printed"},
                {"max_updates", "N", "stop after N notifications"}},
               Subscribe, kDurations),
          Leaf("ack", "Acknowledge a notification received by a subscriber", "NOTIFICATION_ID",
               {{"subscriber", "NAME", "the subscriber that received it"}}, Ack),
          Group("webhooks", "HTTP POST sinks, signed with HMAC-SHA256",
                {
                    Leaf("create", "Add a webhook", "",
                         {{"url", "URL", "http:// or https:// endpoint"},
                          {"secret", "TEXT",
                           "signing secret, 16-256 chars (default: $CONVENE_WEBHOOK_SECRET)"},
                          {"event", "EVENT_ID", "only this event's notifications", true}},
                         WebhookCreate),
                    Leaf("list", "The webhooks", "", {}, WebhookList),
                    Leaf("delete", "Remove a webhook", "WEBHOOK_ID", {}, WebhookDelete),
                }),
      },
      kDurations);
}

}  // namespace convene::cli
