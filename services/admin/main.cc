// convene-admin: operator commands that work on Redis directly, for what no
// token can do yet.
//
//   convene-admin bootstrap-token --redis=unix:///run/convene/redis.sock
//       makes an admin token and prints its secret, once (only its SHA-256
//       is stored). Use it to create the other tokens with `convene tokens
//       create`, then keep it safe or revoke it.
//
//   convene-admin retime --redis=ADDRESS [--dry_run]
//       after a tz database change (a tzdata upgrade, or CONVENE_TZDIR
//       pointed at newer rules): re-derives the UTC instants of every future
//       event from its local times under the rules this process resolves
//       zones with, rewrites those that moved as ordinary updates (their
//       reminders follow), prints one line per moved event and a summary,
//       and records the version once every event is current. Exit 0; 3 when
//       some events need a person (a local time now in a gap or overlap);
//       1 on errors.
//
//   convene-admin audit --redis=ADDRESS [--event=ID] [--repair]
//       recomputes every attendance counter, waitlist and headcount set of
//       every event (or one) from its registrations and check-in records,
//       with the same rule book the services use, and prints each drift as
//       "drift EVENT FIELD stored=N computed=M". --repair rewrites a drifted
//       event's counters in one script. Exit 0 when nothing drifted (or all
//       was repaired); 3 when drifts were found and not repaired; 1 on
//       errors.
//
//   convene-admin resheet --redis=ADDRESS
//       rewrites every event's attendance sheet from the stored event, over
//       the sheet of the same revision, lists each in attendance's index
//       of events (which erasure from every event walks) and writes
//       notification's copies of it and of its registrations (which
//       reminders are planned from): run once after upgrading to a release
//       that adds sheet fields (the days' check-in windows), that index or
//       those copies, so that events and registrations written before follow
//       the new rules at once. Registrations, seats and check-ins are
//       untouched. Exit 0; 3 when an event failed.
//
//   convene-admin policy
//       prints the access policy of every RPC (auth/rpc_policy.cc) as a
//       Markdown table: the roles that may call it besides admin, where the
//       events it touches come from, and what a token limited to some
//       events is told about the others. Needs no Redis.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "auth/rpc_policy.h"
#include "auth/token_store.h"
#include "core/access_policy.h"
#include "attendance/sheet_builder.h"
#include "calendar/calendar_app.h"
#include "mapping/event_mapping.h"
#include "notification/registration_copies.h"
#include "storage/tzdata_version_store.h"
#include "core/blocking_call.h"
#include "core/clock.h"
#include "core/local_date_time.h"
#include "core/tzdata_version.h"
#include "core/zoned_rendering.h"
#include "core/zoneinfo_directory.h"
#include "attendance/attendance_store.h"
#include "calendar/calendar_store.h"
#include "storage/keys.h"
#include "notification/event_copy_store.h"
#include "attendance/event_sheet_store.h"
#include "storage/redis_address.h"
#include "storage/redis_sync_client.h"
#include "notification/registration_copy_store.h"

ABSL_FLAG(std::string, redis, "redis://127.0.0.1:6379",
          "Redis: redis://HOST:PORT or unix:///path/to/redis.sock");
ABSL_FLAG(std::string, redis_user, "", "Redis ACL user");
ABSL_FLAG(std::string, redis_password_file, "",
          "file holding the Redis password; else $CONVENE_REDIS_PASSWORD");
ABSL_FLAG(std::string, name, "bootstrap admin", "what the token is for");
ABSL_FLAG(absl::Duration, ttl, absl::Hours(24 * 30), "how long the token is valid");
ABSL_FLAG(std::string, role, "admin",
          "role of the token (admin, organizer, checkin, integration, reminder-job)");
ABSL_FLAG(bool, dry_run, false, "retime: report what would move, write nothing");
ABSL_FLAG(std::string, event, "", "audit: only this event (default: every event)");
ABSL_FLAG(bool, repair, false, "audit: rewrite the counters of drifted events");
ABSL_FLAG(absl::Duration, retime_timeout, absl::Minutes(30),
          "retime: how long the whole run may take");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "convene-admin: %s\n", message.c_str());
  return 1;
}

// Exit code of `retime` when it finished but some events need a person.
constexpr int kNeedsAttention = 3;

int BootstrapToken(convene::storage::RedisSyncClient& redis) {
  convene::v1::Token token;
  token.set_name(absl::GetFlag(FLAGS_name));
  token.set_role(absl::GetFlag(FLAGS_role));
  convene::auth::TokenStore tokens(redis);
  convene::core::SystemClock clock;
  absl::StatusOr<convene::auth::IssuedToken> issued =
      tokens.Create(token, absl::GetFlag(FLAGS_ttl), clock.Now());
  if (!issued.ok()) return Fail(issued.status().ToString());
  // The secret on stdout alone, so that scripts can capture it; the rest on
  // stderr.
  std::fprintf(stderr, "convene-admin: %s token %s (%s), valid until %s; shown once:\n",
               issued->token.role().c_str(), issued->token.id().c_str(),
               issued->token.name().c_str(),
               absl::FormatTime(absl::FromUnixSeconds(issued->token.expire_time().seconds()),
                                absl::UTCTimeZone()).c_str());
  std::printf("%s\n", issued->secret.c_str());
  return 0;
}

int Retime(convene::storage::RedisSyncClient& redis) {
  using convene::core::FormatLocalDateTime;
  using convene::core::FormatUtcInstant;
  // A CONVENE_TZDIR that names no directory would fail every zone; say so
  // once instead of reporting every event.
  absl::StatusOr<const convene::core::ZoneinfoDirectory*> root =
      convene::core::ConfiguredZoneinfoDirectory();
  if (!root.ok()) return Fail(std::string(root.status().message()));
  std::fprintf(stderr, "convene-admin: zone rules: tzdata %s (%s)\n",
               convene::core::TzdataVersion().c_str(),
               *root == nullptr
                   ? "/usr/share/zoneinfo"
                   : absl::StrCat((*root)->root(),
                                  ", other zones from /usr/share/zoneinfo")
                         .c_str());
  convene::storage::CalendarStore store(redis.async());
  convene::storage::TzdataVersionStore versions(redis.async());
  convene::core::SystemClock clock;
  convene::calendar::CalendarApp app(store, clock);
  convene::calendar::RetimeOptions options;
  options.dry_run = absl::GetFlag(FLAGS_dry_run);
  options.record_in = &versions;
  absl::StatusOr<convene::calendar::RetimeReport> report =
      convene::core::BlockingCall<convene::calendar::RetimeReport>(
          [&](auto done) {
            app.RetimeFutureEvents(clock.Now(), options, std::move(done));
          },
          absl::GetFlag(FLAGS_retime_timeout));
  if (absl::IsDeadlineExceeded(report.status())) {
    // The run goes on on the Redis loop thread, over `app` and the stores on
    // this stack: leave without unwinding them. Each rewrite is whole, so a
    // later run picks up where this one stopped.
    Fail(absl::StrCat("retime: not finished within --retime_timeout=",
                      absl::FormatDuration(absl::GetFlag(FLAGS_retime_timeout)),
                      "; run it again"));
    std::fflush(nullptr);
    std::_Exit(1);
  }
  if (!report.ok()) return Fail(absl::StrCat("retime: ", report.status().ToString()));
  const char* verb = report->dry_run ? "would move" : "moved";
  for (const convene::calendar::RetimedEvent& e : report->moved) {
    std::printf("%s %s %s %s: %s -> %s (\"%s\")\n", verb, e.event_id.c_str(),
                e.time_zone.c_str(), FormatLocalDateTime(e.start_local).c_str(),
                FormatUtcInstant(e.old_start).c_str(),
                FormatUtcInstant(e.new_start).c_str(), e.title.c_str());
  }
  for (const convene::calendar::RetimeProblem& p : report->needs_attention) {
    std::printf("needs attention %s %s: %s\n", p.event_id.c_str(),
                p.time_zone.c_str(), std::string(p.status.message()).c_str());
  }
  std::printf(
      "retime%s: tzdata %s -> %s: %d future events examined, %zu %s, %zu "
      "need attention; %s\n",
      report->dry_run ? " (dry run)" : "",
      report->recorded_version.value_or("(none recorded)").c_str(),
      report->tzdata_version.c_str(), report->examined, report->moved.size(),
      verb, report->needs_attention.size(),
      report->version_recorded
          ? "version recorded"
          : report->dry_run ? "nothing written"
                            : "version NOT recorded: fix the events above "
                              "(or give them a local_time_policy) and run "
                              "retime again");
  return report->needs_attention.empty() ? 0 : kNeedsAttention;
}

int Audit(convene::storage::RedisSyncClient& redis) {
  std::vector<std::string> events;
  if (std::string one = absl::GetFlag(FLAGS_event); !one.empty()) {
    events.push_back(one);
  } else {
    absl::StatusOr<convene::storage::RedisReply> ids =
        redis.Command({"HKEYS", convene::storage::keys::CalendarDocuments()});
    if (!ids.ok()) return Fail(absl::StrCat("audit: ", ids.status().ToString()));
    for (const convene::storage::RedisReply& id : ids->elements()) {
      events.push_back(id.text());
    }
    std::sort(events.begin(), events.end());
  }
  const bool repair = absl::GetFlag(FLAGS_repair);
  convene::storage::AttendanceStore store(redis.async());
  int drifts = 0, drifted_events = 0, missing = 0;
  for (const std::string& event : events) {
    absl::StatusOr<std::vector<convene::storage::AttendanceStore::Drift>> found =
        convene::core::BlockingCall<std::vector<convene::storage::AttendanceStore::Drift>>(
            [&](auto done) { store.Audit(event, repair, std::move(done)); },
            absl::Minutes(5));
    if (absl::IsNotFound(found.status())) {
      std::printf("no attendance sheet %s\n", event.c_str());
      ++missing;
      continue;
    }
    if (!found.ok()) return Fail(absl::StrCat("audit ", event, ": ", found.status().ToString()));
    for (const auto& d : *found) {
      std::printf("drift %s %s stored=%s computed=%s%s\n", event.c_str(), d.field.c_str(),
                  d.stored.c_str(), d.computed.c_str(), repair ? " (repaired)" : "");
    }
    drifts += static_cast<int>(found->size());
    drifted_events += found->empty() ? 0 : 1;
  }
  std::printf("audit: %zu events, %d drifts in %d events%s%s\n", events.size(), drifts,
              drifted_events, repair && drifts > 0 ? ", repaired" : "",
              missing > 0 ? absl::StrCat(", ", missing, " without a sheet").c_str() : "");
  return drifts > 0 && !repair ? kNeedsAttention : 0;
}

// Rewrites every event's attendance sheet and notification's copy from the
// stored event: after an upgrade that adds sheet fields (the days' check-in
// windows) or the copies, so that old events follow the new rules without
// waiting for their next update.
absl::Status CopyForNotification(convene::storage::EventCopyStore& copies,
                                 const std::string& doc) {
  absl::StatusOr<convene::core::Event> event = convene::mapping::EventFromDocument(doc);
  if (!event.ok()) return event.status();
  return convene::core::BlockingCall<bool>(
             [&](auto cb) {
               copies.Put(event->id, event->revision, absl::ToUnixMillis(event->end), doc,
                          std::move(cb));
             },
             absl::Minutes(1))
      .status();
}

// Notification's copies of the event's registrations (for registrations
// made before it kept them); erased participants have none.
absl::Status CopyRegistrationsForNotification(convene::storage::AttendanceStore& attendance,
                                              convene::notification::RegistrationCopies& copies,
                                              const std::string& event_id) {
  convene::storage::RegistrationQuery query;
  query.event_id = event_id;
  query.page_size = 500;
  while (true) {
    absl::StatusOr<convene::storage::RegistrationPage> page =
        convene::core::BlockingCall<convene::storage::RegistrationPage>(
            [&](auto cb) { attendance.List(query, std::move(cb)); }, absl::Minutes(1));
    if (!page.ok()) return page.status();
    for (const convene::core::Registration& r : page->registrations) {
      absl::StatusOr<bool> done = convene::core::BlockingCall<bool>(
          [&](auto cb) {
            if (r.forgotten) {
              copies.Forget(r.event_id, r.participant.participant_id, std::move(cb));
            } else {
              copies.Put(r, std::move(cb));
            }
          },
          absl::Minutes(1));
      if (!done.ok()) return done.status();
    }
    if (!page->next) return absl::OkStatus();
    query.after = page->next;
  }
}

int Resheet(convene::storage::RedisSyncClient& redis) {
  absl::StatusOr<convene::storage::RedisReply> ids =
      redis.Command({"HKEYS", convene::storage::keys::CalendarDocuments()});
  if (!ids.ok()) return Fail(absl::StrCat("resheet: ", ids.status().ToString()));
  convene::storage::CalendarStore store(redis.async());
  convene::storage::EventSheetStore sheets(redis.async());
  convene::attendance::SheetBuilder builder(redis.async(), sheets);
  convene::storage::EventCopyStore copies(redis.async());
  convene::storage::AttendanceStore attendance(redis.async());
  convene::storage::RegistrationCopyStore registration_store(redis.async());
  convene::notification::RegistrationCopies registration_copies(registration_store);
  int written = 0, failed = 0;
  for (const convene::storage::RedisReply& id : ids->elements()) {
    absl::StatusOr<std::string> doc = convene::core::BlockingCall<std::string>(
        [&](auto cb) { store.Get(id.text(), std::move(cb)); }, absl::Minutes(1));
    absl::StatusOr<bool> done =
        doc.ok() ? convene::core::BlockingCall<bool>(
                       [&](auto cb) {
                         builder.Apply(*doc, std::move(cb),
                                       convene::storage::EventSheetStore::SameRevision::kReplace);
                       },
                       absl::Minutes(1))
                 : absl::StatusOr<bool>(doc.status());
    // Notification's copy, for events written before it kept one.
    if (done.ok()) {
      if (absl::Status copied = CopyForNotification(copies, *doc); !copied.ok()) done = copied;
    }
    if (done.ok()) {
      if (absl::Status copied =
              CopyRegistrationsForNotification(attendance, registration_copies, id.text());
          !copied.ok()) {
        done = copied;
      }
    }
    if (!done.ok()) {
      std::printf("failed %s: %s\n", id.text().c_str(), done.status().ToString().c_str());
      ++failed;
    } else if (*done) {
      ++written;
    }
  }
  // Every sheet is rebuilt from the stored events: calendar changes the
  // sheet follower missed (trimmed from the stream) no longer matter.
  if (failed == 0) {
    absl::StatusOr<convene::storage::RedisReply> cleared =
        redis.Command({"DEL", convene::storage::keys::SheetFollowerGap()});
    if (!cleared.ok()) return Fail(absl::StrCat("resheet: ", cleared.status().ToString()));
  }
  std::printf("resheet: %zu events, %d sheets rewritten, %d failed\n", ids->elements().size(),
              written, failed);
  return failed > 0 ? kNeedsAttention : 0;
}

int PrintPolicy() {
  std::printf("| RPC | roles (besides admin) | events touched | outside a scoped token |\n");
  std::printf("|---|---|---|---|\n");
  for (const convene::auth::RpcPolicy& p : convene::auth::RpcPolicies()) {
    std::vector<std::string> roles;
    for (convene::core::Role r : p.roles) roles.emplace_back(convene::core::RoleName(r));
    std::printf("| %s | %s | %s | %s |\n", p.method.c_str(),
                roles.empty() ? "(admin only)" : absl::StrJoin(roles, ", ").c_str(),
                p.scope_field.c_str(), std::string(convene::auth::OutOfScopeName(p.out_of_scope)).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "operator commands on Convene's Redis.\n"
      "  convene-admin bootstrap-token --redis=ADDRESS [--name=...] [--ttl=720h] [--role=admin]\n"
      "  convene-admin retime --redis=ADDRESS [--dry_run]   (after a tz database change)\n"
      "  convene-admin audit --redis=ADDRESS [--event=ID] [--repair]   (attendance counters)\n"
      "  convene-admin resheet --redis=ADDRESS   (after an upgrade that adds sheet fields)\n"
      "  convene-admin policy   (the access policy of every RPC, as a Markdown table)");
  std::vector<char*> args = absl::ParseCommandLine(argc, argv);
  const std::string command = args.size() == 2 ? args[1] : "";
  if (command == "policy") return PrintPolicy();
  if (command != "bootstrap-token" && command != "retime" && command != "audit" &&
      command != "resheet") {
    return Fail(
        "usage: convene-admin bootstrap-token|retime|audit|resheet --redis=ADDRESS, or policy "
        "(see --help)");
  }
  if (command == "bootstrap-token") {
    // CreateToken's bounds, checked before anything is written.
    if (absl::Status s = convene::auth::ValidateTokenTtl(absl::GetFlag(FLAGS_ttl), "--ttl");
        !s.ok()) {
      return Fail(std::string(s.message()));
    }
    if (absl::StatusOr<convene::core::Role> role =
            convene::core::ParseRole(absl::GetFlag(FLAGS_role), "--role");
        !role.ok()) {
      return Fail(std::string(role.status().message()));
    }
  }
  absl::StatusOr<convene::storage::RedisAddress> address =
      convene::storage::RedisAddress::Parse(absl::GetFlag(FLAGS_redis));
  if (!address.ok()) return Fail(absl::StrCat("--redis: ", address.status().message()));
  convene::storage::RedisClientOptions options;
  options.address = *address;
  options.username = absl::GetFlag(FLAGS_redis_user);
  if (std::string file = absl::GetFlag(FLAGS_redis_password_file); !file.empty()) {
    std::ifstream in(file);
    if (!in || !std::getline(in, options.password)) {
      return Fail(absl::StrCat("--redis_password_file: cannot read ", file));
    }
  } else if (const char* password = std::getenv("CONVENE_REDIS_PASSWORD")) {
    options.password = password;
  }
  absl::StatusOr<std::unique_ptr<convene::storage::RedisSyncClient>> redis =
      convene::storage::RedisSyncClient::Start(options);
  if (!redis.ok()) return Fail(redis.status().ToString());
  if (command == "audit") return Audit(**redis);
  if (command == "resheet") return Resheet(**redis);
  return command == "retime" ? Retime(**redis) : BootstrapToken(**redis);
}
