#include "core/attendance_counts.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/local_date_time.h"

namespace convene::core {
namespace {

int64_t Get64(const std::map<std::string, int64_t>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : it->second;
}

int Get(const std::map<std::string, int64_t>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? 0 : static_cast<int>(it->second);
}

// Counters of one (prefix, day, scope): prefix is "" or "city:<c>:" etc.
ModeCounts Modes(const std::map<std::string, int64_t>& c,
                 const std::string& prefix, const std::string& date,
                 const std::string& scope) {
  ModeCounts m;
  m.registered_in_person =
      Get(c, absl::StrCat(prefix, "reg:", date, ":in_person"));
  m.registered_online = Get(c, absl::StrCat(prefix, "reg:", date, ":online"));
  m.waitlisted_in_person =
      Get(c, absl::StrCat(prefix, "wait:", date, ":in_person"));
  m.waitlisted_online = Get(c, absl::StrCat(prefix, "wait:", date, ":online"));
  m.checked_in_in_person =
      Get(c, absl::StrCat(prefix, "in:", scope, ":in_person"));
  m.checked_in_online = Get(c, absl::StrCat(prefix, "in:", scope, ":online"));
  return m;
}

UniqueAttendees Unique(const AttendanceTallies& t, const std::string& scope) {
  UniqueAttendees u;
  const int in_person = Get(t.presence, scope + ":in_person");
  const int online = Get(t.presence, scope + ":online");
  u.both = Get(t.presence, scope + ":both");
  u.in_person_only = in_person - u.both;
  u.online_only = online - u.both;
  if (const int64_t ms = Get64(t.counters, "join:" + scope); ms > 0) {
    u.first_online_join = absl::FromUnixMillis(ms);
  }
  if (const int64_t ms = Get64(t.counters, "leave:" + scope); ms > 0) {
    u.last_online_leave = absl::FromUnixMillis(ms);
  }
  return u;
}

// The group keys ("Torino") that have any counter for `date` under `kind`
// ("city" or "org").
std::vector<GroupCounts> Groups(const std::map<std::string, int64_t>& c,
                                absl::string_view kind,
                                const std::string& date) {
  std::map<std::string, bool> keys;
  const std::string head = absl::StrCat(kind, ":");
  for (auto it = c.lower_bound(head);
       it != c.end() && absl::StartsWith(it->first, head); ++it) {
    // "<kind>:<key>:<reg|in>:<scope...>"
    absl::string_view rest = absl::string_view(it->first).substr(head.size());
    for (absl::string_view marker : {":reg:", ":in:day:"}) {
      const size_t at = rest.find(absl::StrCat(marker, date));
      if (at != absl::string_view::npos && it->second != 0) {
        keys[std::string(rest.substr(0, at))] = true;
      }
    }
  }
  std::vector<GroupCounts> out;
  for (const auto& [key, unused] : keys) {
    out.push_back({key, Modes(c, absl::StrCat(head, key, ":"), date,
                              absl::StrCat("day:", date))});
  }
  return out;
}

}  // namespace

AttendanceCounts BuildAttendanceCounts(const EventSheet& sheet,
                                       const AttendanceTallies& t) {
  AttendanceCounts out;
  out.event_id = sheet.event_id;
  out.version = Get(t.counters, "version");
  out.registrations = Get(t.counters, "registrations");
  for (const absl::CivilDay& day : sheet.days) {
    const std::string date = FormatLocalDate(day);
    const std::string scope = absl::StrCat("day:", date);
    DayCounts d;
    d.date = day;
    d.counts = Modes(t.counters, "", date, scope);
    d.unique = Unique(t, scope);
    d.unique.walk_ins = Get(t.counters, absl::StrCat("walkin:", date));
    d.by_city = Groups(t.counters, "city", date);
    d.by_organisation = Groups(t.counters, "org", date);
    d.in_person_capacity = sheet.in_person_capacity;
    d.online_capacity = sheet.online_capacity;
    for (const SheetSession& s : sheet.sessions) {
      if (s.date != day) continue;
      const std::string sscope = absl::StrCat("session:", s.id);
      ModeCounts counts = Modes(t.counters, "", date, sscope);
      // Registrations are per day and mode; a session open to one mode only
      // expects only that day's registrations in that mode.
      if (s.format == EventFormat::kInPerson) {
        counts.registered_online = counts.waitlisted_online = 0;
      } else if (s.format == EventFormat::kOnline) {
        counts.registered_in_person = counts.waitlisted_in_person = 0;
      }
      d.sessions.push_back({s.id, s.format, counts, Unique(t, sscope)});
    }
    out.days.push_back(std::move(d));
  }
  return out;
}

}  // namespace convene::core
