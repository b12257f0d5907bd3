#include "attendance/event_sheet_store.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "core/local_date_time.h"
#include "attendance/attendance_script_frame.h"
#include "storage/keys.h"
#include "attendance/scripts/sheet_put_lua.h"

namespace convene::storage {

absl::string_view FormatName(core::EventFormat format) {
  switch (format) {
    case core::EventFormat::kInPerson:
      return "in_person";
    case core::EventFormat::kOnline:
      return "online";
    case core::EventFormat::kHybrid:
      return "hybrid";
    case core::EventFormat::kUnspecified:
      break;
  }
  return "";
}

core::EventFormat FormatFromName(absl::string_view name) {
  if (name == "in_person") return core::EventFormat::kInPerson;
  if (name == "online") return core::EventFormat::kOnline;
  if (name == "hybrid") return core::EventFormat::kHybrid;
  return core::EventFormat::kUnspecified;
}

std::vector<std::string> EventSheetStore::Encode(const core::EventSheet& s) {
  std::vector<std::string> days;
  for (const absl::CivilDay& d : s.days) days.push_back(core::FormatLocalDate(d));
  auto sessions_text = [](const std::vector<core::SheetSession>& list) {
    std::vector<std::string> out;
    for (const core::SheetSession& session : list) {
      out.push_back(absl::StrCat(session.id, "@", core::FormatLocalDate(session.date),
                                 "@", FormatName(session.format)));
    }
    return absl::StrJoin(out, ",");
  };
  // "date|from ms|until ms|from text|until text;..." (the texts are
  // FormatLocal()'s, which never hold '|' or ';').
  std::vector<std::string> windows;
  for (const core::CheckInWindow& w : s.check_in_windows) {
    windows.push_back(absl::StrCat(core::FormatLocalDate(w.date), "|",
                                   absl::ToUnixMillis(w.from), "|",
                                   absl::ToUnixMillis(w.until), "|",
                                   w.from_local, "|", w.until_local));
  }
  std::vector<std::string> out = {"cancelled",  s.cancelled ? "1" : "0",
          "format",     std::string(FormatName(s.format)),
          "time_zone",  s.time_zone,
          "days",       absl::StrJoin(days, ","),
          "in_person_capacity", absl::StrCat(s.in_person_capacity),
          "online_capacity",    absl::StrCat(s.online_capacity),
          "walk_ins",   s.allow_walk_ins ? "1" : "0",
          "check_in_windows", absl::StrJoin(windows, ";"),
          "sessions",   sessions_text(s.sessions),
          "removed_sessions", sessions_text(s.removed_sessions)};
  // Titles are caller text, so each has a field of its own rather than a
  // place in the session lists.
  for (const auto* list : {&s.sessions, &s.removed_sessions}) {
    for (const core::SheetSession& session : *list) {
      out.push_back(absl::StrCat("title:", session.id));
      out.push_back(session.title);
    }
  }
  return out;
}

absl::StatusOr<core::EventSheet> EventSheetStore::Decode(std::string event_id,
                                                         const RedisReply& reply) {
  core::EventSheet s;
  s.event_id = std::move(event_id);
  auto e = reply.elements();
  if (e.empty()) {
    return absl::NotFoundError(absl::StrCat("event ", s.event_id, " not found"));
  }
  std::map<std::string, std::string> titles;
  const absl::Status corrupt =
      absl::DataLossError(absl::StrCat("sheet of event ", s.event_id, " is corrupt"));
  for (size_t i = 0; i + 1 < e.size(); i += 2) {
    const std::string& f = e[i].text();
    const std::string& v = e[i + 1].text();
    if (f == "revision") {
      if (!absl::SimpleAtoi(v, &s.revision)) return corrupt;
    } else if (f == "cancelled") {
      s.cancelled = v == "1";
    } else if (f == "format") {
      s.format = FormatFromName(v);
    } else if (f == "time_zone") {
      s.time_zone = v;
    } else if (f == "days") {
      for (absl::string_view d : absl::StrSplit(v, ',', absl::SkipEmpty())) {
        absl::StatusOr<absl::CivilDay> day = core::ParseLocalDate(d, "days");
        if (!day.ok()) return corrupt;
        s.days.push_back(*day);
      }
    } else if (f == "in_person_capacity") {
      if (!absl::SimpleAtoi(v, &s.in_person_capacity)) return corrupt;
    } else if (f == "online_capacity") {
      if (!absl::SimpleAtoi(v, &s.online_capacity)) return corrupt;
    } else if (f == "walk_ins") {
      s.allow_walk_ins = v == "1";
    } else if (f == "check_in_windows") {
      for (absl::string_view item : absl::StrSplit(v, ';', absl::SkipEmpty())) {
        std::vector<absl::string_view> parts = absl::StrSplit(item, '|');
        int64_t from_ms = 0, until_ms = 0;
        if (parts.size() != 5 || !absl::SimpleAtoi(parts[1], &from_ms) ||
            !absl::SimpleAtoi(parts[2], &until_ms)) {
          return corrupt;
        }
        absl::StatusOr<absl::CivilDay> day =
            core::ParseLocalDate(parts[0], "check_in_windows");
        if (!day.ok()) return corrupt;
        s.check_in_windows.push_back(
            {*day, absl::FromUnixMillis(from_ms), absl::FromUnixMillis(until_ms),
             std::string(parts[3]), std::string(parts[4])});
      }
    } else if (f == "sessions" || f == "removed_sessions") {
      std::vector<core::SheetSession>& list =
          f == "sessions" ? s.sessions : s.removed_sessions;
      for (absl::string_view item : absl::StrSplit(v, ',', absl::SkipEmpty())) {
        std::vector<absl::string_view> parts = absl::StrSplit(item, '@');
        if (parts.size() != 3) return corrupt;
        absl::StatusOr<absl::CivilDay> day = core::ParseLocalDate(parts[1], "sessions");
        if (!day.ok()) return corrupt;
        list.push_back({std::string(parts[0]), "", *day, FormatFromName(parts[2])});
      }
    } else if (absl::StartsWith(f, "title:")) {
      titles[f.substr(6)] = v;
    }
  }
  for (auto* list : {&s.sessions, &s.removed_sessions}) {
    for (core::SheetSession& session : *list) session.title = titles[session.id];
  }
  return s;
}

void EventSheetStore::Put(const core::EventSheet& sheet, Callback<bool> done,
                          SameRevision same) {
  // The time of a sheet change is the time the registrations it changes
  // were updated.
  AttendanceScriptFrame f =
      MakeAttendanceScriptFrame(sheet.event_id, absl::Now(), max_changes_);
  f.args.push_back(absl::StrCat(sheet.revision));
  f.args.push_back(same == SameRevision::kReplace ? "1" : "0");
  for (std::string& part : Encode(sheet)) f.args.push_back(std::move(part));
  // Listed first (another slot, so not in the script): an event with a sheet
  // is always in the index erasure walks. Queued on the same connection, so
  // it is applied before the script.
  redis_.Command({"SADD", keys::AttendanceEvents(), sheet.event_id},
                 [](absl::StatusOr<RedisReply>) {});
  redis_.Eval(scripts::SheetPut(), std::move(f.keys), std::move(f.args),
              [done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                if (!r.ok()) return done(r.status());
                done(r->as_integer().value_or(0) == 1);
              });
}

void EventSheetStore::ListEventIds(Callback<std::vector<std::string>> done) {
  redis_.Command({"SMEMBERS", keys::AttendanceEvents()},
                 [done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                   if (!r.ok()) return done(r.status());
                   std::vector<std::string> ids;
                   for (const RedisReply& e : r->elements()) {
                     absl::StatusOr<absl::string_view> id = e.as_string();
                     if (id.ok()) ids.emplace_back(*id);
                   }
                   std::sort(ids.begin(), ids.end());
                   done(std::move(ids));
                 });
}

void EventSheetStore::Get(std::string event_id, Callback<core::EventSheet> done) {
  std::string key = keys::EventSheet(event_id);
  redis_.Command({"HGETALL", std::move(key)},
                 [event_id = std::move(event_id), done = std::move(done)](
                     absl::StatusOr<RedisReply> r) mutable {
                   if (!r.ok()) return done(r.status());
                   done(Decode(std::move(event_id), *r));
                 });
}

}  // namespace convene::storage
