#include "core/attendance_counts.h"

#include <algorithm>
#include <optional>
#include <set>
#include <tuple>
#include <utility>

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

// A group code as the scripts write it: the name's bytes in hex, or "~"
// for the group of erased people (their cities or organisations). nullopt
// for anything else.
struct GroupName {
  std::string key;
  bool erased = false;
};
std::optional<GroupName> DecodeGroup(absl::string_view code) {
  if (code == "~") return GroupName{"(erased)", true};
  if (code.size() % 2 != 0) return std::nullopt;
  std::string key;
  for (size_t i = 0; i < code.size(); i += 2) {
    int byte = 0;
    for (char c : code.substr(i, 2)) {
      const int v = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                           : -1;
      if (v < 0) return std::nullopt;
      byte = byte * 16 + v;
    }
    key.push_back(static_cast<char>(byte));
  }
  return GroupName{std::move(key), false};
}

// The codes of the groups of `kind` ("city" or "org") with any non-zero
// counter, by date: fields "g:<kind>:<code>:reg:<date>:...",
// "...:wait:<date>:..." and "...:in:day:<date>:...". One pass over the
// counters for all days: a year-long event with many groups has hundreds of
// thousands of them, and a pass per day made GetAttendanceCounts take
// seconds of CPU.
std::map<std::string, std::map<std::string, GroupName>> GroupsByDate(
    const std::map<std::string, int64_t>& c, absl::string_view kind) {
  std::map<std::string, std::map<std::string, GroupName>> by_date;
  const std::string head = absl::StrCat("g:", kind, ":");
  constexpr size_t kDateLength = 10;  // YYYY-MM-DD
  for (auto it = c.lower_bound(head);
       it != c.end() && absl::StartsWith(it->first, head); ++it) {
    if (it->second == 0) continue;
    absl::string_view rest = absl::string_view(it->first).substr(head.size());
    const size_t colon = rest.find(':');
    if (colon == absl::string_view::npos) continue;
    absl::string_view field = rest.substr(colon);
    absl::string_view date;
    for (absl::string_view marker : {":reg:", ":wait:", ":in:day:"}) {
      if (absl::StartsWith(field, marker) && field.size() > marker.size() + kDateLength &&
          field[marker.size() + kDateLength] == ':') {
        date = field.substr(marker.size(), kDateLength);
        break;
      }
    }
    if (date.empty()) continue;
    std::map<std::string, GroupName>& codes = by_date[std::string(date)];
    std::string code(rest.substr(0, colon));
    if (codes.contains(code)) continue;
    if (std::optional<GroupName> name = DecodeGroup(code)) codes.emplace(code, *name);
  }
  return by_date;
}

// The groups of one date (codes from GroupsByDate), by name, erased last.
std::vector<GroupCounts> Groups(const std::map<std::string, int64_t>& c,
                                absl::string_view kind,
                                const std::map<std::string, std::map<std::string, GroupName>>& by_date,
                                const std::string& date) {
  std::vector<GroupCounts> out;
  auto codes = by_date.find(date);
  if (codes == by_date.end()) return out;
  const std::string head = absl::StrCat("g:", kind, ":");
  for (const auto& [code, name] : codes->second) {
    out.push_back({name.key,
                   Modes(c, absl::StrCat(head, code, ":"), date,
                         absl::StrCat("day:", date)),
                   name.erased});
  }
  std::sort(out.begin(), out.end(), [](const GroupCounts& a, const GroupCounts& b) {
    return std::tie(a.erased, a.key) < std::tie(b.erased, b.key);
  });
  return out;
}

}  // namespace

AttendanceCounts BuildAttendanceCounts(const EventSheet& sheet,
                                       const AttendanceTallies& t,
                                       const std::vector<std::string>& days) {
  AttendanceCounts out;
  out.event_id = sheet.event_id;
  out.version = Get(t.counters, "version");
  out.event_revision = sheet.revision;
  out.registrations = Get(t.counters, "registrations");
  const std::set<std::string> asked(days.begin(), days.end());
  const auto cities = GroupsByDate(t.counters, "city");
  const auto organisations = GroupsByDate(t.counters, "org");
  for (const absl::CivilDay& day : sheet.days) {
    const std::string date = FormatLocalDate(day);
    if (!asked.empty() && !asked.contains(date)) continue;
    const std::string scope = absl::StrCat("day:", date);
    DayCounts d;
    d.date = day;
    d.counts = Modes(t.counters, "", date, scope);
    d.unique = Unique(t, scope);
    d.unique.walk_ins = Get(t.counters, absl::StrCat("walkin:", date));
    d.by_city = Groups(t.counters, "city", cities, date);
    d.by_organisation = Groups(t.counters, "org", organisations, date);
    d.in_person_capacity = sheet.in_person_capacity;
    d.online_capacity = sheet.online_capacity;
    std::vector<std::pair<const SheetSession*, bool>> sessions;
    for (const SheetSession& s : sheet.sessions) sessions.push_back({&s, false});
    for (const SheetSession& s : sheet.removed_sessions) sessions.push_back({&s, true});
    for (const auto& [session, removed] : sessions) {
      const SheetSession& s = *session;
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
      d.sessions.push_back({s.id, s.title, s.format, counts, Unique(t, sscope), removed});
    }
    out.days.push_back(std::move(d));
  }
  return out;
}

}  // namespace convene::core
