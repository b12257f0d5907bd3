#include "attendance/attendance_store.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/types/span.h"
#include "core/local_date_time.h"
#include "attendance/attendance_script_frame.h"
#include "storage/attendance_stream_format.h"
#include "attendance/event_sheet_store.h"
#include "storage/keys.h"
#include "storage/lua_script.h"
#include "storage/request_fingerprint.h"
#include "attendance/scripts/attendance_audit_lua.h"
#include "attendance/scripts/attendance_change_lua.h"
#include "attendance/scripts/attendance_checkin_lua.h"
#include "attendance/scripts/attendance_checkout_lua.h"
#include "attendance/scripts/attendance_counts_lua.h"
#include "attendance/scripts/attendance_forget_lua.h"
#include "attendance/scripts/attendance_get_lua.h"
#include "attendance/scripts/attendance_list_lua.h"
#include "attendance/scripts/attendance_register_lua.h"

namespace convene::storage {
namespace {

std::vector<std::string> ParticipantFields(const core::ParticipantInfo& p) {
  return {"participant_id", p.participant_id, "display_name", p.display_name,
          "email",          p.email,          "organisation", p.organisation,
          "city",           p.city,           "country_code", p.country_code,
          "time_zone",      p.time_zone,      "language",     p.language};
}

absl::Time FromMillis(absl::string_view text) {
  int64_t ms = 0;
  return absl::SimpleAtoi(text, &ms) ? absl::FromUnixMillis(ms)
                                     : absl::InfinitePast();
}

constexpr absl::string_view kMissingSheetPayload = "convene.dev/missing-sheet";

// A script error about the event's sheet names the event for the caller.
absl::Status NameEvent(const absl::Status& s, absl::string_view event_id) {
  // Only the scripts' missing sheet: an unknown participant or session
  // keeps its own message (and is no reason to build the sheet again).
  if (s.code() == absl::StatusCode::kNotFound && s.message() == "event not found") {
    absl::Status named = absl::NotFoundError(absl::StrCat("event ", event_id, " not found"));
    named.SetPayload(kMissingSheetPayload, absl::Cord(event_id));
    return named;
  }
  return s;
}

// A registration as attendance_get.lua and attendance_register.lua return
// it: described days, then the hash's fields and values.
absl::StatusOr<core::Registration> ParseRegistration(
    const std::string& event_id, absl::Span<const RedisReply> e) {
  if (e.empty()) return absl::InternalError("empty registration reply");
  core::Registration r;
  r.event_id = event_id;
  absl::StatusOr<std::vector<core::RegistrationDay>> days =
      ParseStoredDays(e[0].text());
  if (!days.ok()) return days.status();
  r.days = *std::move(days);
  for (size_t i = 1; i + 1 < e.size(); i += 2) {
    const std::string& f = e[i].text();
    const std::string& v = e[i + 1].text();
    core::ParticipantInfo& p = r.participant;
    if (f == "participant_id")
      p.participant_id = v;
    else if (f == "display_name")
      p.display_name = v;
    else if (f == "email")
      p.email = v;
    else if (f == "organisation")
      p.organisation = v;
    else if (f == "city")
      p.city = v;
    else if (f == "country_code")
      p.country_code = v;
    else if (f == "time_zone")
      p.time_zone = v;
    else if (f == "language")
      p.language = v;
    else if (f == "status") {
      absl::StatusOr<core::RegistrationStatus> s = ParseStoredStatus(v);
      if (!s.ok()) return s.status();
      r.status = *s;
    } else if (f == "forgotten")
      r.forgotten = v == "1";
    else if (f == "walk_in")
      r.walk_in = v == "1";
    else if (f == "revision") {
      if (!absl::SimpleAtoi(v, &r.revision)) r.revision = 0;
    } else if (f == "create_ms")
      r.create_time = FromMillis(v);
    else if (f == "update_ms")
      r.update_time = FromMillis(v);
  }
  return r;
}

}  // namespace

bool IsMissingSheet(const absl::Status& status) {
  return status.code() == absl::StatusCode::kNotFound &&
         status.GetPayload(kMissingSheetPayload).has_value();
}


void AttendanceStore::Register(const RegisterCommand& c,
                               Callback<core::Registration> done) {
  std::vector<std::string> days;
  for (const core::DayChoice& d : c.days) {
    days.push_back(
        absl::StrCat(core::FormatLocalDate(d.date), "=", StoredModeName(d.mode)));
  }
  const std::string& pid = c.participant.participant_id;
  AttendanceScriptFrame f = MakeAttendanceScriptFrame(c.event_id, c.now, max_changes_);
  for (std::string a : {c.request_id, pid, absl::StrJoin(days, ";"),
                        std::string(StoredModeName(c.default_mode))}) {
    f.args.push_back(std::move(a));
  }
  for (std::string& field : ParticipantFields(c.participant))
    f.args.push_back(std::move(field));
  BindRequest(f);
  redis_.Eval(scripts::AttendanceRegister(), std::move(f.keys), std::move(f.args),
              [event_id = c.event_id, participant = c.participant, done = std::move(done)](
                  absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok())
                  return done(NameEvent(reply.status(), event_id));
                absl::StatusOr<core::Registration> r =
                    ParseRegistration(event_id, reply->elements());
                // A first registration's reply leaves out the participant
                // fields: they are the ones this call sent.
                if (r.ok() && r->participant.participant_id.empty()) r->participant = participant;
                done(std::move(r));
              });
}

void AttendanceStore::Change(std::string event_id, std::string request_id,
                             std::string participant_id, std::string days,
                             std::string op, std::string all_days_mode,
                             std::string reason, absl::Time now,
                             Callback<core::Registration> done) {
  AttendanceScriptFrame f = MakeAttendanceScriptFrame(event_id, now, max_changes_);
  for (std::string a : {std::move(request_id), std::move(participant_id),
                        std::move(days), std::move(op), std::move(all_days_mode),
                        std::move(reason)}) {
    f.args.push_back(std::move(a));
  }
  BindRequest(f);
  redis_.Eval(
      scripts::AttendanceChange(), std::move(f.keys), std::move(f.args),
      [event_id,
       done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        done(ParseRegistration(event_id, reply->elements()));
      });
}

void AttendanceStore::Cancel(std::string event_id, std::string request_id,
                             std::string participant_id,
                             std::vector<absl::CivilDay> dates,
                             std::string reason, absl::Time now,
                             Callback<core::Registration> done) {
  std::vector<std::string> days;
  for (const absl::CivilDay& d : dates)
    days.push_back(core::FormatLocalDate(d));
  Change(std::move(event_id), std::move(request_id), std::move(participant_id),
         absl::StrJoin(days, ";"), "cancel", "", std::move(reason), now,
         std::move(done));
}

void AttendanceStore::ChangeMode(std::string event_id, std::string request_id,
                                 std::string participant_id,
                                 std::vector<core::DayChoice> days,
                                 core::AttendanceMode all_days_mode,
                                 absl::Time now,
                                 Callback<core::Registration> done) {
  std::vector<std::string> parts;
  for (const core::DayChoice& d : days) {
    parts.push_back(
        absl::StrCat(core::FormatLocalDate(d.date), "=", StoredModeName(d.mode)));
  }
  Change(std::move(event_id), std::move(request_id), std::move(participant_id),
         absl::StrJoin(parts, ";"), "change_mode",
         std::string(StoredModeName(all_days_mode)), "", now, std::move(done));
}


// { record "mode|source|first_ms|joins|last_leave_ms|walk_in", duplicate,
// day } as the check-in scripts return it.
static absl::StatusOr<core::CheckInRecord> ParseCheckIn(
    const std::string& event_id, const std::string& pid,
    const std::string& session, const RedisReply& reply) {
  auto e = reply.elements();
  std::vector<absl::string_view> f = e.size() == 3
                                         ? absl::StrSplit(e[0].text(), '|')
                                         : std::vector<absl::string_view>();
  absl::StatusOr<absl::CivilDay> day =
      e.size() == 3 ? core::ParseLocalDate(e[2].text(), "day")
                    : absl::StatusOr<absl::CivilDay>(absl::DataLossError(""));
  absl::StatusOr<core::AttendanceMode> mode =
      f.size() == 6
          ? ParseStoredMode(f[0])
          : absl::StatusOr<core::AttendanceMode>(absl::DataLossError(""));
  core::CheckInRecord r;
  if (!day.ok() || !mode.ok() || !absl::SimpleAtoi(f[3], &r.join_count)) {
    return absl::InternalError("check-in script: unexpected reply");
  }
  r.event_id = event_id;
  r.participant_id = pid;
  r.day = *day;
  r.session_id = session;
  r.mode = *mode;
  r.source = ParseStoredSource(f[1]);
  r.check_in_time = FromMillis(f[2]);
  if (!f[4].empty()) r.last_leave_time = FromMillis(f[4]);
  r.walk_in = f[5] == "1";
  r.duplicate = e[1].as_integer().value_or(0) == 1;
  return r;
}

void AttendanceStore::CheckIn(const CheckInCommand& c,
                              Callback<core::CheckInRecord> done) {
  AttendanceScriptFrame f = MakeAttendanceScriptFrame(c.event_id, c.occurred, max_changes_);
  for (std::string a : {c.request_id, c.participant_id,
                        c.day ? core::FormatLocalDate(*c.day) : "", c.session_id,
                        std::string(StoredModeName(c.mode)),
                        std::string(StoredSourceName(c.source)),
                        absl::StrCat(absl::ToUnixMillis(c.occurred))}) {
    f.args.push_back(std::move(a));
  }
  if (c.walk_in) {
    core::ParticipantInfo p = *c.walk_in;
    p.participant_id = c.participant_id;
    for (std::string& field : ParticipantFields(p)) f.args.push_back(std::move(field));
  }
  BindRequest(f, {7});  // 7: the occurred time, the server's clock unless given
  redis_.Eval(
      scripts::AttendanceCheckin(), std::move(f.keys), std::move(f.args),
      [event_id = c.event_id, pid = c.participant_id, session = c.session_id,
       done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(NameEvent(reply.status(), event_id));
        done(ParseCheckIn(event_id, pid, session, *reply));
      });
}

void AttendanceStore::CheckOut(const CheckInCommand& c,
                               Callback<core::CheckInRecord> done) {
  AttendanceScriptFrame f = MakeAttendanceScriptFrame(c.event_id, c.occurred, max_changes_);
  for (std::string a : {c.request_id, c.participant_id,
                        c.day ? core::FormatLocalDate(*c.day) : "", c.session_id,
                        absl::StrCat(absl::ToUnixMillis(c.occurred))}) {
    f.args.push_back(std::move(a));
  }
  BindRequest(f, {5});  // 5: the occurred time
  redis_.Eval(
      scripts::AttendanceCheckout(), std::move(f.keys), std::move(f.args),
      [event_id = c.event_id, pid = c.participant_id, session = c.session_id,
       done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(NameEvent(reply.status(), event_id));
        done(ParseCheckIn(event_id, pid, session, *reply));
      });
}

void AttendanceStore::Counts(std::string event_id, std::vector<std::string> days,
                             Callback<core::AttendanceCounts> done) {
  AttendanceScriptFrame f =
      MakeAttendanceScriptFrame(event_id, absl::UnixEpoch(), max_changes_);
  for (const std::string& d : days) f.args.push_back(d);
  redis_.Eval(scripts::AttendanceCounts(), std::move(f.keys), std::move(f.args),
              [event_id, days, done = std::move(done)](
                  absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok())
                  return done(NameEvent(reply.status(), event_id));
                auto parts = reply->elements();
                if (parts.size() != 3) {
                  return done(absl::InternalError(
                      "attendance_counts.lua: unexpected reply"));
                }
                absl::StatusOr<core::EventSheet> sheet =
                    EventSheetStore::Decode(event_id, parts[0]);
                if (!sheet.ok()) return done(sheet.status());
                core::AttendanceTallies tallies;
                auto counters = parts[1].elements();
                for (size_t i = 0; i + 1 < counters.size(); i += 2) {
                  int64_t v = 0;
                  if (absl::SimpleAtoi(counters[i + 1].text(), &v)) {
                    tallies.counters[counters[i].text()] = v;
                  }
                }
                auto presence = parts[2].elements();
                for (size_t i = 0; i + 1 < presence.size(); i += 2) {
                  tallies.presence[presence[i].text()] =
                      presence[i + 1].as_integer().value_or(0);
                }
                done(core::BuildAttendanceCounts(*sheet, tallies, days));
              });
}

void AttendanceStore::List(const RegistrationQuery& q,
                           Callback<RegistrationPage> done) {
  std::string status;
  if (q.status) {
    status = std::string(StoredStatusName(*q.status));
  }
  AttendanceScriptFrame f =
      MakeAttendanceScriptFrame(q.event_id, absl::UnixEpoch(), max_changes_);
  for (std::string a : {q.after ? absl::StrCat(*q.after) : std::string(),
                        absl::StrCat(q.page_size),
                        q.mode ? std::string(StoredModeName(*q.mode)) : std::string(),
                        status, q.city,
                        q.day ? core::FormatLocalDate(*q.day) : std::string(),
                        std::string("5000")}) {
    f.args.push_back(std::move(a));
  }
  redis_.Eval(
      scripts::AttendanceList(), std::move(f.keys), std::move(f.args),
      [event_id = q.event_id,
       done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(NameEvent(reply.status(), event_id));
        auto e = reply->elements();
        if (e.empty())
          return done(absl::InternalError("attendance_list.lua: empty reply"));
        RegistrationPage page;
        int64_t next = 0;
        if (!e[0].text().empty() && absl::SimpleAtoi(e[0].text(), &next))
          page.next = next;
        for (size_t i = 1; i < e.size(); ++i) {
          absl::StatusOr<core::Registration> r =
              ParseRegistration(event_id, e[i].elements());
          if (!r.ok()) return done(r.status());
          page.registrations.push_back(*std::move(r));
        }
        done(std::move(page));
      });
}

void AttendanceStore::ReadReportData(std::string event_id,
                                     Callback<ReportData> done) {
  redis_.Pipeline({{"HGETALL", keys::EventSheet(event_id)},
                   {"HGETALL", keys::CheckIns(event_id)}},
                  [event_id, done = std::move(done)](
                      absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>>
                          replies) mutable {
                    if (!replies.ok()) return done(replies.status());
                    for (const auto& r : *replies) {
                      if (!r.ok()) return done(r.status());
                    }
                    absl::StatusOr<core::EventSheet> sheet =
                        EventSheetStore::Decode(event_id, *(*replies)[0]);
                    if (!sheet.ok()) return done(sheet.status());
                    std::map<std::string, absl::CivilDay> session_days;
                    for (const core::SheetSession& s : sheet->sessions)
                      session_days[s.id] = s.date;
                    ReportData data;
                    auto fields = (*replies)[1]->elements();
                    for (size_t i = 0; i + 1 < fields.size(); i += 2) {
                      // "day:<date>:<mode>:<pid>" or
                      // "session:<id>:<mode>:<pid>".
                      std::vector<std::string> k = absl::StrSplit(
                          fields[i].text(), absl::MaxSplits(':', 3));
                      std::vector<absl::string_view> record =
                          absl::StrSplit(fields[i + 1].text(), '|');
                      if (k.size() != 4 || record.size() != 6) continue;
                      std::optional<absl::CivilDay> day;
                      if (k[0] == "day") {
                        absl::StatusOr<absl::CivilDay> d =
                            core::ParseLocalDate(k[1], "day");
                        if (d.ok()) day = *d;
                      } else if (auto it = session_days.find(k[1]);
                                 it != session_days.end()) {
                        day = it->second;
                      }
                      if (!day) continue;
                      const absl::Time at = FromMillis(record[2]);
                      auto [slot, inserted] =
                          data.first_check_ins.try_emplace({k[3], *day}, at);
                      if (!inserted && at < slot->second) slot->second = at;
                    }
                    data.sheet = *std::move(sheet);
                    done(std::move(data));
                  });
}

void AttendanceStore::BindForgetRequest(std::string request_id, std::string event_id,
                                        std::string participant_id, std::string reason,
                                        Callback<bool> done) {
  static const LuaScript* script = new LuaScript("attendance_forget_request", R"lua(
local seen = redis.call('HGET', KEYS[1], ARGV[1])
if seen and seen ~= ARGV[2] then
  return redis.error_reply('CONVENE INVALID_ARGUMENT request_id: ' .. ARGV[1] ..
    ' was already used for a different request; a retry must repeat the request ' ..
    'exactly, a new request needs a new request_id')
end
if not seen then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
return 1
)lua");
  std::string fingerprint = RequestFingerprint({event_id, participant_id, reason});
  redis_.Eval(*script, {keys::AttendanceForgetRequests()},
              {std::move(request_id), std::move(fingerprint)},
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                done(true);
              });
}

void AttendanceStore::Forget(std::string event_id, std::string request_id,
                             std::string participant_id, std::string reason,
                             absl::Time now, Callback<bool> done) {
  AttendanceScriptFrame f = MakeAttendanceScriptFrame(event_id, now, max_changes_);
  f.args.push_back(std::move(request_id));
  f.args.push_back(participant_id);
  f.args.push_back(std::move(reason));
  BindRequest(f);
  redis_.Eval(
      scripts::AttendanceForget(), std::move(f.keys), std::move(f.args),
      [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        done(reply->as_integer().value_or(0) == 1);
      });
}

void AttendanceStore::ForgetEverywhere(std::string request_id,
                                       std::string participant_id,
                                       std::string reason, absl::Time now,
                                       Callback<ForgetOutcome> done) {
  // The index of events with a sheet (EventSheetStore::Put lists each) names
  // every event that has attendance data, so no participant -> events index
  // has to be kept in step with registrations in other slots.
  redis_.Command(
      {"SMEMBERS", keys::AttendanceEvents()},
      [this, request_id = std::move(request_id),
       participant_id = std::move(participant_id),
       reason = std::move(reason), now,
       done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        std::vector<std::string> events;
        for (const RedisReply& e : reply->elements()) {
          absl::StatusOr<absl::string_view> id = e.as_string();
          if (id.ok()) events.emplace_back(*id);
        }
        std::sort(events.begin(), events.end());
        struct State {
          std::vector<std::string> events;
          std::vector<int> result;  // -1 not registered, 0 before, 1 now
          size_t pending = 0;
          absl::Status failure;
          Callback<ForgetOutcome> done;
        };
        auto state = std::make_shared<State>();
        state->result.assign(events.size(), -1);
        state->pending = events.size();
        state->done = std::move(done);
        state->events = std::move(events);
        auto finish = [state, participant_id] {
          if (!state->failure.ok()) return state->done(state->failure);
          ForgetOutcome outcome;
          for (size_t i = 0; i < state->events.size(); ++i) {
            if (state->result[i] < 0) continue;
            outcome.event_ids.push_back(state->events[i]);
            outcome.erased_now += state->result[i];
          }
          if (outcome.event_ids.empty()) {
            return state->done(absl::NotFoundError(absl::StrCat(
                "participant_id: ", participant_id,
                " is not registered for any event")));
          }
          state->done(std::move(outcome));
        };
        if (state->events.empty()) return finish();
        for (size_t i = 0; i < state->events.size(); ++i) {
          Forget(state->events[i], request_id, participant_id, reason, now,
                 [state, i, finish](absl::StatusOr<bool> erased) {
                   if (erased.ok()) {
                     state->result[i] = *erased ? 1 : 0;
                   } else if (!absl::IsNotFound(erased.status()) &&
                              state->failure.ok()) {
                     state->failure = erased.status();
                   }
                   if (--state->pending == 0) finish();
                 });
        }
      });
}

void AttendanceStore::Get(std::string event_id, std::string participant_id,
                          Callback<core::Registration> done) {
  AttendanceScriptFrame f =
      MakeAttendanceScriptFrame(event_id, absl::UnixEpoch(), max_changes_);
  f.args.push_back(participant_id);
  redis_.Eval(scripts::AttendanceGet(), std::move(f.keys), std::move(f.args),
              [event_id, participant_id, done = std::move(done)](
                  absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                auto e = reply->elements();
                if (e.empty()) {
                  return done(absl::NotFoundError(
                      absl::StrCat("participant ", participant_id,
                                   " is not registered for event ", event_id)));
                }
                done(ParseRegistration(event_id, e));
              });
}

void AttendanceStore::Audit(std::string event_id, bool repair,
                            Callback<std::vector<Drift>> done) {
  AttendanceScriptFrame f =
      MakeAttendanceScriptFrame(event_id, absl::UnixEpoch(), max_changes_);
  f.args.push_back(repair ? "repair" : "");
  redis_.Eval(scripts::AttendanceAudit(), std::move(f.keys), std::move(f.args),
              [event_id, done = std::move(done)](
                  absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(NameEvent(reply.status(), event_id));
                std::vector<Drift> drifts;
                auto e = reply->elements();
                for (size_t i = 0; i + 2 < e.size(); i += 3) {
                  drifts.push_back({e[i].text(), e[i + 1].text(), e[i + 2].text()});
                }
                done(std::move(drifts));
              });
}

}  // namespace convene::storage
