#include "core/icalendar.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "core/internal/civil_seconds.h"
#include "core/internal/field_error.h"
#include "core/local_time_resolution.h"
#include "core/zone_rules.h"
#include "core/zoned_rendering.h"

namespace convene::core {
namespace {

using internal::FieldError;
using internal::Quote;

constexpr int64_t kDay = 24 * 60 * 60;
// RFC 5545 section 3.1: lines SHOULD NOT be longer than 75 octets, CRLF
// excluded; a continuation line's leading space counts.
constexpr size_t kFoldOctets = 75;
constexpr absl::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// ---------------------------------------------------------------- UTF-8

// The length of the well-formed UTF-8 sequence starting at s[i] (no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
size_t Utf8SequenceAt(absl::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t len;
  unsigned char lo = 0x80, hi = 0xBF;  // bounds for the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  }
  return len;
}

bool IsUtf8Continuation(char c) {
  return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// ---------------------------------------------------------------- writing

std::string FormatLocalValue(absl::CivilSecond t) {
  return absl::StrFormat("%04d%02d%02dT%02d%02d%02d",
                         static_cast<int>(t.year()), t.month(), t.day(),
                         t.hour(), t.minute(), t.second());
}

bool InSupportedYears(absl::CivilSecond t) {
  return t.year() >= kMinSupportedYear && t.year() <= kMaxSupportedYear;
}

// A DATE-TIME in UTC, or "" for an instant outside the years 0001..9999
// (which includes the InfinitePast meaning "unset").
std::string FormatUtcValue(absl::Time t) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return "";
  const absl::CivilSecond utc = absl::ToCivilSecond(t, absl::UTCTimeZone());
  if (!InSupportedYears(utc)) return "";
  return FormatLocalValue(utc) + "Z";
}

// UTC-OFFSET (RFC 5545 section 3.3.14): "+0200", "-0500", "+001730".
std::string FormatOffsetValue(absl::Duration offset) {
  int64_t seconds = absl::ToInt64Seconds(offset);
  const char sign = seconds < 0 ? '-' : '+';
  if (seconds < 0) seconds = -seconds;
  std::string out =
      absl::StrFormat("%c%02d%02d", sign, seconds / 3600, seconds / 60 % 60);
  if (seconds % 60 != 0) absl::StrAppendFormat(&out, "%02d", seconds % 60);
  return out;
}

// A parameter value: characters a parameter cannot hold (control
// characters, DQUOTE) are dropped, bytes that are not UTF-8 become U+FFFD,
// and the value is quoted when it holds ';', ':' or ','.
std::string ParamValue(absl::string_view text) {
  std::string clean;
  for (size_t i = 0; i < text.size();) {
    const auto u = static_cast<unsigned char>(text[i]);
    if (u < 0x20 || u == 0x7F || u == '"') {
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceAt(text, i);
    if (len == 0) {
      clean.append(kReplacementCharacter.data(), kReplacementCharacter.size());
      ++i;
      continue;
    }
    clean.append(text.data() + i, len);
    i += len;
  }
  if (clean.find_first_of(";:,") == std::string::npos) return clean;
  return absl::StrCat("\"", clean, "\"");
}

// A URI value: whitespace and control characters cannot be part of one.
std::string UriValue(absl::string_view uri) {
  std::string out;
  for (char c : uri) {
    const auto u = static_cast<unsigned char>(c);
    if (u > 0x20 && u != 0x7F) out.push_back(c);
  }
  return out;
}

// Collects content lines, folded, each ended by CRLF.
class LineWriter {
 public:
  void Add(absl::string_view line) {
    size_t budget = kFoldOctets;
    while (line.size() > budget) {
      size_t cut = budget;
      while (cut > 0 && IsUtf8Continuation(line[cut])) --cut;
      // Only a run of stray continuation bytes could take the cut to 0, and
      // the text was made UTF-8 before it got here; never loop forever.
      if (cut == 0) cut = budget;
      out_.append(line.data(), cut);
      out_.append("\r\n ");
      line.remove_prefix(cut);
      budget = kFoldOctets - 1;
    }
    out_.append(line.data(), line.size());
    out_.append("\r\n");
  }
  void Add(absl::string_view name, absl::string_view value) {
    Add(absl::StrCat(name, ":", value));
  }

  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

// ---------------------------------------------------------------- VTIMEZONE

bool SameOffset(const ZoneOffset& a, const ZoneOffset& b) {
  return a.utc_offset == b.utc_offset && a.is_dst == b.is_dst &&
         a.abbreviation == b.abbreviation;
}

// One STANDARD or DAYLIGHT sub-component: from `onset` on, `after` applies
// instead of `before`.
struct Observance {
  int64_t onset = 0;  // Unix seconds
  ZoneOffset before;
  ZoneOffset after;
};

class TransitionFinder {
 public:
  explicit TransitionFinder(const ZoneRules& rules) : rules_(rules) {}

  ZoneOffset At(int64_t t) const {
    return rules_.OffsetAt(absl::FromUnixSeconds(t));
  }

  // Adds to `out` every change of offset in (from, to], found by sampling
  // once a day and bisecting to the second between samples that differ.
  // Changes that undo themselves within a day go unseen; no zone has had one.
  void Collect(int64_t from, int64_t to,
               std::map<int64_t, Observance>& out) const {
    int64_t lo = from;
    ZoneOffset lo_offset = At(lo);
    while (lo < to) {
      const int64_t hi = std::min(lo + kDay, to);
      const ZoneOffset hi_offset = At(hi);
      while (!SameOffset(lo_offset, hi_offset)) {
        const int64_t change = FirstChange(lo, lo_offset, hi);
        ZoneOffset changed = At(change);
        out[change] = Observance{change, lo_offset, changed};
        lo = change;
        lo_offset = std::move(changed);
      }
      lo = hi;
      lo_offset = hi_offset;
    }
  }

  // The last change of offset in the 400 days up to `t`, if any.
  bool LastChangeBefore(int64_t t, Observance& found) const {
    const ZoneOffset at_t = At(t);
    for (int k = 1; k <= 400; ++k) {
      const int64_t day_before = t - k * kDay;
      if (SameOffset(At(day_before), at_t)) continue;
      std::map<int64_t, Observance> changes;
      Collect(day_before, day_before + kDay, changes);
      if (changes.empty()) continue;  // unreachable: the samples differ
      found = changes.rbegin()->second;
      return true;
    }
    return false;
  }

 private:
  // The first second in (lo, hi] whose offset differs from `lo_offset`, the
  // offset at `lo`; the offset at `hi` must differ from it.
  int64_t FirstChange(int64_t lo, const ZoneOffset& lo_offset,
                      int64_t hi) const {
    while (hi - lo > 1) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (SameOffset(At(mid), lo_offset)) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  const ZoneRules& rules_;
};

// A zone used by the export, and the calendar years its items touch.
struct UsedZone {
  Zone zone;
  std::set<int64_t> years;
};

int64_t StartOfYear(int64_t year) {
  return internal::EpochSeconds(absl::CivilSecond(year, 1, 1, 0, 0, 0));
}

// The observances of `zone` over `years`: for each run of consecutive years,
// its transitions from two days before it starts to two days after it ends,
// plus the observance already in force when the run starts (the transition
// that began it, or, when the zone has not changed for over a year, one that
// starts on that day with the offset unchanged, unless an earlier run's last
// observance already gives that offset).
std::vector<Observance> ObservancesFor(const UsedZone& used) {
  const TransitionFinder finder(used.zone.rules());
  // Keep local onsets inside 0001..9999 whatever the offset (< 1 day).
  const int64_t min_t = StartOfYear(kMinSupportedYear) + 2 * kDay;
  const int64_t max_t = StartOfYear(kMaxSupportedYear + 1) - 2 * kDay;
  std::map<int64_t, Observance> all;
  for (auto it = used.years.begin(); it != used.years.end();) {
    const int64_t first_year = *it;
    int64_t last_year = first_year;
    for (++it; it != used.years.end() && *it == last_year + 1; ++it) {
      last_year = *it;
    }
    const int64_t from = std::max(min_t, StartOfYear(first_year) - 2 * kDay);
    const int64_t to = std::min(max_t, StartOfYear(last_year + 1) + 2 * kDay);
    Observance in_force;
    if (!finder.LastChangeBefore(from, in_force)) {
      const ZoneOffset offset = finder.At(from);
      // An earlier run's observances already end in this offset: one more
      // that changes nothing would only make the export depend on how the
      // years fall into runs (a merge of per-event exports drops it too).
      if (!all.empty() && SameOffset(all.rbegin()->second.after, offset)) {
        finder.Collect(from, to, all);
        continue;
      }
      const absl::CivilSecond local_day = absl::CivilDay(
          internal::LocalAt(absl::FromUnixSeconds(from), offset.utc_offset));
      in_force = Observance{absl::ToUnixSeconds(internal::InstantOf(
                                local_day, offset.utc_offset)),
                            offset, offset};
    }
    all.emplace(in_force.onset, std::move(in_force));
    finder.Collect(from, to, all);
  }
  std::vector<Observance> out;
  out.reserve(all.size());
  for (auto& [onset, observance] : all) out.push_back(std::move(observance));
  return out;
}

void WriteTimeZone(LineWriter& w, const UsedZone& used) {
  w.Add("BEGIN:VTIMEZONE");
  w.Add("TZID", EscapeICalendarText(used.zone.name()));
  for (const Observance& o : ObservancesFor(used)) {
    const char* kind = o.after.is_dst ? "DAYLIGHT" : "STANDARD";
    w.Add(absl::StrCat("BEGIN:", kind));
    // RFC 5545 section 3.8.2.4: the onset as local time in the offset in
    // force before it.
    w.Add("DTSTART", FormatLocalValue(internal::LocalAt(
                         absl::FromUnixSeconds(o.onset), o.before.utc_offset)));
    w.Add("TZOFFSETFROM", FormatOffsetValue(o.before.utc_offset));
    w.Add("TZOFFSETTO", FormatOffsetValue(o.after.utc_offset));
    if (!o.after.abbreviation.empty()) {
      w.Add("TZNAME", EscapeICalendarText(o.after.abbreviation));
    }
    w.Add(absl::StrCat("END:", kind));
  }
  w.Add("END:VTIMEZONE");
}

// ---------------------------------------------------------------- VEVENT

std::string Location(const Event& e, const Session* s) {
  std::vector<absl::string_view> parts;
  for (absl::string_view part :
       {absl::string_view(e.venue.name),
        s != nullptr ? absl::string_view(s->room) : absl::string_view(),
        absl::string_view(e.venue.address),
        absl::string_view(e.venue.city.empty() ? e.city : e.venue.city)}) {
    if (!part.empty()) parts.push_back(part);
  }
  return absl::StrJoin(parts, ", ");
}

// DTSTART or DTEND naming `instant`. A reader resolves a local time with
// TZID as RFC 5545 section 3.3.5 says (a time in a gap with the offset
// before it, an ambiguous time as its first occurrence), not by the event's
// LocalTimePolicy, so the stored local time can name another instant. The
// instant's own wall-clock time names it whenever that reading gives it back
// (always but for the second occurrence of an ambiguous time); UTC names it
// otherwise.
void AddDateTime(LineWriter& w, absl::string_view name, absl::string_view tzid,
                 const Zone& zone, absl::Time instant) {
  const absl::CivilSecond local = ToZoned(zone, instant).local;
  const absl::StatusOr<absl::Time> read = ToInstant(zone, local, LocalTimePolicy::kRfc5545);
  if (read.ok() && *read == instant) {
    w.Add(absl::StrCat(name, ";TZID=", tzid), FormatLocalValue(local));
  } else {
    w.Add(name, FormatUtcValue(instant));
  }
}

// What a VEVENT lists: an item of the programme, or an entry calendars may
// hold from an earlier export that they must drop.
enum class Entry { kListed, kRemovedSession, kReplacedBySessions };

void WriteEvent(LineWriter& w, const Event& e, const Zone& zone, const Session* s,
                absl::string_view dtstamp, Entry entry = Entry::kListed) {
  const EventFormat format = s != nullptr ? EffectiveFormat(e, *s) : e.format;
  const std::string& join_url =
      s != nullptr ? EffectiveJoinUrl(e, *s) : e.online.join_url;
  const std::string tzid = ParamValue(e.time_zone);
  // An entry calendars are told to drop says which one and why, nothing
  // more: an event keeps every session it ever removed (up to its weight
  // cap, thousands), and each copy of the event's description, place and
  // link would make its export larger than one answer can hold.
  const bool listed = entry == Entry::kListed;
  const bool online = listed && OffersOnline(format) && !join_url.empty();

  w.Add("BEGIN:VEVENT");
  w.Add("UID", EscapeICalendarText(
                   s != nullptr ? absl::StrCat(s->id, ".", e.id, "@convene")
                                : absl::StrCat(e.id, "@convene")));
  w.Add("DTSTAMP", dtstamp);
  if (std::string created = FormatUtcValue(e.create_time); !created.empty()) {
    w.Add("CREATED", created);
  }
  if (std::string modified = FormatUtcValue(e.update_time); !modified.empty()) {
    w.Add("LAST-MODIFIED", modified);
  }
  AddDateTime(w, "DTSTART", tzid, zone, s != nullptr ? s->start : e.start);
  AddDateTime(w, "DTEND", tzid, zone, s != nullptr ? s->end : e.end);
  w.Add("SUMMARY",
        EscapeICalendarText(s != nullptr ? absl::StrCat(e.title, ": ", s->title)
                                         : e.title));

  // Clients that ignore CONFERENCE (most of them, today) still show the
  // link, and a cancellation says why.
  std::vector<std::string> paragraphs;
  if (entry == Entry::kRemovedSession) {
    paragraphs.push_back("Removed from the programme.");
  } else if (entry == Entry::kReplacedBySessions) {
    paragraphs.push_back("Now listed session by session.");
  } else if (e.status == EventStatus::kCancelled) {
    paragraphs.push_back(e.cancel_reason.empty()
                             ? "Cancelled."
                             : absl::StrCat("Cancelled: ", e.cancel_reason));
  }
  const std::string& description =
      s != nullptr && !s->description.empty() ? s->description : e.description;
  if (listed && !description.empty()) paragraphs.push_back(description);
  if (online) {
    paragraphs.push_back(e.online.platform.empty()
                             ? absl::StrCat("Join online: ", join_url)
                             : absl::StrCat("Join online (", e.online.platform,
                                            "): ", join_url));
  }
  if (!paragraphs.empty()) {
    w.Add("DESCRIPTION",
          EscapeICalendarText(absl::StrJoin(paragraphs, "\n\n")));
  }

  if (listed && OffersInPerson(format)) {
    if (std::string location = Location(e, s); !location.empty()) {
      w.Add("LOCATION", EscapeICalendarText(location));
    }
  }
  if (online) {
    std::string name = "CONFERENCE;VALUE=URI;FEATURE=VIDEO";
    if (!e.online.platform.empty()) {
      absl::StrAppend(&name, ";LABEL=", ParamValue(e.online.platform));
    }
    w.Add(name, UriValue(join_url));
  }
  // RFC 5546 wants an ORGANIZER in a published VEVENT: the event's contact.
  if (!e.organiser_contact.email.empty()) {
    std::string name = "ORGANIZER";
    if (!e.organiser_contact.name.empty()) {
      absl::StrAppend(&name, ";CN=", ParamValue(e.organiser_contact.name));
    }
    w.Add(name, absl::StrCat("mailto:", e.organiser_contact.email));
  }
  if (!e.community.empty()) {
    w.Add("CATEGORIES", EscapeICalendarText(e.community));
  }
  w.Add("STATUS", entry != Entry::kListed || e.status == EventStatus::kCancelled
                      ? "CANCELLED"
                      : "CONFIRMED");
  w.Add("SEQUENCE", absl::StrCat(std::max<int64_t>(e.revision - 1, 0)));
  w.Add("END:VEVENT");
}

absl::Status CheckLocalRange(absl::string_view field, absl::CivilSecond t) {
  if (InSupportedYears(t)) return absl::OkStatus();
  return FieldError(field,
                    absl::StrCat("year ", t.year(), " is outside 0001..9999"));
}

// ---------------------------------------------------------------- reading

absl::Status LineError(int line, absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("line ", line, ": ", reason));
}

bool IsNameChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-';
}

// Reads a name (iana-token or x-name: letters, digits, '-') at `pos`.
absl::string_view ReadName(absl::string_view line, size_t& pos) {
  const size_t start = pos;
  while (pos < line.size() && IsNameChar(line[pos])) ++pos;
  return line.substr(start, pos - start);
}

// Splits one unfolded content line into `out`; `line` is known to be UTF-8
// without control characters other than tab.
absl::Status ParseContentLine(absl::string_view text, int line,
                              ICalendarProperty& out) {
  size_t pos = 0;
  const absl::string_view name = ReadName(text, pos);
  if (name.empty()) {
    return LineError(line,
                     absl::StrCat("expected a property name at ", Quote(text)));
  }
  out.name = absl::AsciiStrToUpper(name);
  out.line = line;
  while (pos < text.size() && text[pos] == ';') {
    ++pos;
    const absl::string_view param = ReadName(text, pos);
    if (param.empty()) {
      return LineError(line,
                       absl::StrCat("expected a parameter name in ", out.name));
    }
    if (pos >= text.size() || text[pos] != '=') {
      return LineError(line, absl::StrCat("parameter ", Quote(param), " of ",
                                          out.name, " has no '='"));
    }
    ++pos;
    ICalendarParameter parameter;
    parameter.name = absl::AsciiStrToUpper(param);
    while (true) {
      if (pos < text.size() && text[pos] == '"') {
        const size_t close = text.find('"', pos + 1);
        if (close == absl::string_view::npos) {
          return LineError(line, absl::StrCat("parameter ", parameter.name,
                                              " has an unterminated quote"));
        }
        parameter.values.emplace_back(text.substr(pos + 1, close - pos - 1));
        pos = close + 1;
      } else {
        const size_t end =
            std::min(text.find_first_of(";:,\"", pos), text.size());
        if (end < text.size() && text[end] == '"') {
          return LineError(line, absl::StrCat("parameter ", parameter.name,
                                              " has a quote inside a value"));
        }
        parameter.values.emplace_back(text.substr(pos, end - pos));
        pos = end;
      }
      if (pos < text.size() && text[pos] == ',') {
        ++pos;
        continue;
      }
      break;
    }
    out.parameters.push_back(std::move(parameter));
  }
  if (pos >= text.size() || text[pos] != ':') {
    return LineError(
        line, absl::StrCat("expected ':' after ", out.name,
                           (out.parameters.empty() ? " (a line without a colon)"
                                                   : " and its parameters")));
  }
  out.value = std::string(text.substr(pos + 1));
  return absl::OkStatus();
}

absl::Status CheckCharacters(absl::string_view text, int line) {
  for (size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c == 0x7F) {
      return LineError(line, absl::StrFormat("control character 0x%02X", c));
    }
    const size_t len = Utf8SequenceAt(text, i);
    if (len == 0) {
      return LineError(line, absl::StrFormat("invalid UTF-8 at byte %d",
                                             static_cast<int>(i)));
    }
    i += len;
  }
  return absl::OkStatus();
}

// Builds the component tree from unfolded content lines.
class TreeBuilder {
 public:
  absl::Status Add(absl::string_view text, int line) {
    if (text.empty()) return LineError(line, "empty line");
    if (absl::Status s = CheckCharacters(text, line); !s.ok()) return s;
    ICalendarProperty property;
    if (absl::Status s = ParseContentLine(text, line, property); !s.ok()) {
      return s;
    }
    const bool begin = property.name == "BEGIN";
    if (begin || property.name == "END") {
      if (!property.parameters.empty()) {
        return LineError(line,
                         absl::StrCat(property.name, " takes no parameters"));
      }
      size_t pos = 0;
      const absl::string_view component = ReadName(property.value, pos);
      if (component.empty() || pos != property.value.size()) {
        return LineError(
            line, absl::StrCat(property.name, " needs a component name, not ",
                               Quote(property.value)));
      }
      return begin ? Begin(absl::AsciiStrToUpper(component), line)
                   : End(absl::AsciiStrToUpper(component), line);
    }
    if (open_.empty()) {
      return LineError(line, absl::StrCat("property ", property.name,
                                          " outside any component"));
    }
    open_.back().properties.push_back(std::move(property));
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<ICalendarComponent>> Finish(int last_line) {
    if (!open_.empty()) {
      return LineError(
          last_line, absl::StrCat("input ends inside BEGIN:", open_.back().name,
                                  " of line ", open_.back().line, " (no END)"));
    }
    if (done_.empty()) {
      return LineError(last_line, "no BEGIN:VCALENDAR in the input");
    }
    return std::move(done_);
  }

 private:
  absl::Status Begin(std::string name, int line) {
    if (open_.empty() && name != "VCALENDAR") {
      return LineError(
          line, absl::StrCat("expected BEGIN:VCALENDAR, not BEGIN:", name));
    }
    if (static_cast<int>(open_.size()) >= ICalendarLimits::kMaxDepth) {
      return LineError(line, absl::StrCat("components nested more than ",
                                          ICalendarLimits::kMaxDepth, " deep"));
    }
    ICalendarComponent component;
    component.name = std::move(name);
    component.line = line;
    open_.push_back(std::move(component));
    return absl::OkStatus();
  }

  absl::Status End(const std::string& name, int line) {
    if (open_.empty()) {
      return LineError(line, absl::StrCat("END:", name, " without BEGIN"));
    }
    if (open_.back().name != name) {
      return LineError(line,
                       absl::StrCat("END:", name,
                                    " does not match BEGIN:", open_.back().name,
                                    " of line ", open_.back().line));
    }
    ICalendarComponent closed = std::move(open_.back());
    open_.pop_back();
    if (open_.empty()) {
      done_.push_back(std::move(closed));
    } else {
      open_.back().components.push_back(std::move(closed));
    }
    return absl::OkStatus();
  }

  std::vector<ICalendarComponent> open_;  // bounded by kMaxDepth
  std::vector<ICalendarComponent> done_;
};

// Parses "YYYYMMDDThhmmss" with an optional trailing "Z".
absl::StatusOr<std::pair<absl::CivilSecond, bool>> ParseDateTimeValue(
    absl::string_view value) {
  const auto invalid = [&](absl::string_view reason) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid DATE-TIME ", Quote(value), ": ", reason));
  };
  const bool utc = value.size() == 16 && value[15] == 'Z';
  if (value.size() != 15 && !utc) {
    return invalid("expected YYYYMMDDThhmmss, optionally with a final Z");
  }
  for (size_t i = 0; i < 15; ++i) {
    const bool ok =
        i == 8 ? value[i] == 'T'
               : absl::ascii_isdigit(static_cast<unsigned char>(value[i]));
    if (!ok)
      return invalid("expected YYYYMMDDThhmmss, optionally with a final Z");
  }
  const auto number = [&](size_t at, size_t len) {
    int n = 0;
    for (size_t i = at; i < at + len; ++i) n = n * 10 + (value[i] - '0');
    return n;
  };
  const int year = number(0, 4), month = number(4, 2), day = number(6, 2);
  const int hour = number(9, 2), minute = number(11, 2), second = number(13, 2);
  if (year < kMinSupportedYear) return invalid("year 0000 is not supported");
  if (hour > 23 || minute > 59) return invalid("no such time of day");
  if (second > 59) return invalid("leap seconds are not supported");
  const absl::CivilSecond t(year, month, day, hour, minute, second);
  if (t.month() != month || t.day() != day) return invalid("no such date");
  return std::make_pair(t, utc);
}

}  // namespace

// ---------------------------------------------------------------- public

std::string EscapeICalendarText(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    switch (c) {
      case '\\':
      case ';':
      case ',':
        out.push_back('\\');
        out.push_back(c);
        ++i;
        continue;
      case '\r':
        out.append("\\n");
        i += (i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
        continue;
      case '\n':
        out.append("\\n");
        ++i;
        continue;
      default:
        break;
    }
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) {
      ++i;
      continue;
    }
    const size_t len = Utf8SequenceAt(text, i);
    if (len == 0) {
      out.append(kReplacementCharacter.data(), kReplacementCharacter.size());
      ++i;
      continue;
    }
    out.append(text.data() + i, len);
    i += len;
  }
  return out;
}

absl::StatusOr<std::string> UnescapeICalendarText(absl::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    if (value[i] != '\\') {
      out.push_back(value[i]);
      continue;
    }
    if (++i == value.size()) {
      return absl::InvalidArgumentError("TEXT value ends in a lone backslash");
    }
    switch (value[i]) {
      case '\\':
      case ';':
      case ',':
        out.push_back(value[i]);
        break;
      case 'n':
      case 'N':
        out.push_back('\n');
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat("invalid escape ", Quote(value.substr(i - 1, 2)),
                         " in TEXT value"));
    }
  }
  return out;
}

absl::StatusOr<std::string> WriteInvitation(const Invitation& inv) {
  const std::string stamp = FormatUtcValue(inv.stamp);
  if (stamp.empty()) return FieldError("invitation.stamp", "must be set");
  if (inv.organiser_email.empty()) return FieldError("invitation.organiser_email", "is empty");
  if (inv.attendee_email.empty()) return FieldError("invitation.attendee_email", "is empty");
  if (!inv.cancel && inv.days.empty()) return FieldError("invitation.days", "is empty");
  LineWriter w;
  w.Add("BEGIN:VCALENDAR");
  w.Add("VERSION:2.0");
  w.Add("PRODID:-//Convene//Convene 0.1//EN");
  w.Add("CALSCALE:GREGORIAN");
  w.Add("METHOD", inv.cancel ? "CANCEL" : "REQUEST");
  auto person = [&](absl::string_view name, const std::string& cn, const std::string& email,
                    absl::string_view params) {
    std::string n(name);
    if (!cn.empty()) absl::StrAppend(&n, ";CN=", ParamValue(cn));
    absl::StrAppend(&n, params);
    w.Add(n, absl::StrCat("mailto:", email));
  };
  auto common = [&] {
    w.Add("UID", EscapeICalendarText(inv.uid));
    w.Add("DTSTAMP", stamp);
    w.Add("SEQUENCE", absl::StrCat(inv.sequence));
    w.Add("SUMMARY", EscapeICalendarText(inv.summary));
    person("ORGANIZER", inv.organiser_name, inv.organiser_email, "");
    person("ATTENDEE", inv.attendee_name, inv.attendee_email,
           inv.cancel ? ";ROLE=REQ-PARTICIPANT"
                      : ";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;RSVP=FALSE");
  };
  const auto day_fields = [&](const InvitationDay& d) {
    w.Add("DTSTART", FormatUtcValue(d.start));
    w.Add("DTEND", FormatUtcValue(d.end));
    if (!d.location.empty()) w.Add("LOCATION", EscapeICalendarText(d.location));
    if (!d.description.empty()) w.Add("DESCRIPTION", EscapeICalendarText(d.description));
  };
  w.Add("BEGIN:VEVENT");
  common();
  if (inv.cancel) {
    if (!inv.days.empty()) {
      w.Add("DTSTART", FormatUtcValue(inv.days.front().start));
      w.Add("DTEND", FormatUtcValue(inv.days.front().end));
    }
    w.Add("STATUS", "CANCELLED");
    w.Add("END:VEVENT");
  } else {
    day_fields(inv.days.front());
    if (inv.days.size() > 1) {
      std::vector<std::string> periods;
      for (size_t i = 1; i < inv.days.size(); ++i) {
        periods.push_back(absl::StrCat(FormatUtcValue(inv.days[i].start), "/",
                                       FormatUtcValue(inv.days[i].end)));
      }
      w.Add("RDATE;VALUE=PERIOD", absl::StrJoin(periods, ","));
    }
    w.Add("STATUS", "CONFIRMED");
    w.Add("END:VEVENT");
    // Each further day as an instance of its own: its place and mode.
    for (size_t i = 1; i < inv.days.size(); ++i) {
      w.Add("BEGIN:VEVENT");
      common();
      w.Add("RECURRENCE-ID", FormatUtcValue(inv.days[i].start));
      day_fields(inv.days[i]);
      w.Add("STATUS", "CONFIRMED");
      w.Add("END:VEVENT");
    }
  }
  w.Add("END:VCALENDAR");
  return w.Take();
}

absl::StatusOr<std::string> ExportICalendar(const std::vector<Event>& events,
                                            const ICalendarOptions& opts) {
  const std::string dtstamp = FormatUtcValue(opts.now);
  if (dtstamp.empty()) {
    return FieldError("opts.now", "must be set to an instant in 0001..9999");
  }

  std::map<std::string, UsedZone> zones;  // by name: a stable output order
  for (size_t i = 0; i < events.size(); ++i) {
    const Event& e = events[i];
    const std::string field = absl::StrCat("events[", i, "]");
    auto it = zones.find(e.time_zone);
    if (it == zones.end()) {
      absl::StatusOr<Zone> zone =
          ResolveZone(e.time_zone, absl::StrCat(field, ".time_zone"));
      if (!zone.ok()) return zone.status();
      it = zones.emplace(e.time_zone, UsedZone{*std::move(zone), {}}).first;
    }
    const auto add_span = [&](absl::string_view what, absl::CivilSecond start,
                              absl::CivilSecond end) -> absl::Status {
      if (absl::Status s =
              CheckLocalRange(absl::StrCat(what, ".start_local"), start);
          !s.ok()) {
        return s;
      }
      if (absl::Status s =
              CheckLocalRange(absl::StrCat(what, ".end_local"), end);
          !s.ok()) {
        return s;
      }
      for (int64_t y = std::min(start.year(), end.year());
           y <= std::max(start.year(), end.year()); ++y) {
        it->second.years.insert(y);
      }
      return absl::OkStatus();
    };
    if (e.sessions.empty() || e.listed_as_whole_event) {
      if (absl::Status s = add_span(field, e.start_local, e.end_local);
          !s.ok()) {
        return s;
      }
    }
    for (size_t j = 0; j < e.sessions.size(); ++j) {
      if (absl::Status s =
              add_span(absl::StrCat(field, ".sessions[", j, "]"),
                       e.sessions[j].start_local, e.sessions[j].end_local);
          !s.ok()) {
        return s;
      }
    }
    for (size_t j = 0; j < e.removed_sessions.size(); ++j) {
      if (absl::Status s = add_span(absl::StrCat(field, ".removed_sessions[", j, "]"),
                                    e.removed_sessions[j].start_local,
                                    e.removed_sessions[j].end_local);
          !s.ok()) {
        return s;
      }
    }
  }

  LineWriter w;
  w.Add("BEGIN:VCALENDAR");
  w.Add("VERSION", "2.0");
  w.Add("PRODID", EscapeICalendarText(opts.product_id));
  w.Add("CALSCALE", "GREGORIAN");
  w.Add("METHOD", "PUBLISH");
  if (!opts.calendar_name.empty()) {
    w.Add("X-WR-CALNAME", EscapeICalendarText(opts.calendar_name));
  }
  for (const auto& [name, used] : zones) WriteTimeZone(w, used);
  for (const Event& e : events) {
    const Zone& zone = zones.at(e.time_zone).zone;
    // Calendars that imported a removed session, or the whole event before
    // sessions took its place, are told to drop it.
    if (e.sessions.empty()) {
      WriteEvent(w, e, zone, nullptr, dtstamp);
    } else if (e.listed_as_whole_event) {
      WriteEvent(w, e, zone, nullptr, dtstamp, Entry::kReplacedBySessions);
    }
    for (const Session& s : e.sessions) WriteEvent(w, e, zone, &s, dtstamp);
    for (const Session& s : e.removed_sessions) {
      WriteEvent(w, e, zone, &s, dtstamp, Entry::kRemovedSession);
    }
  }
  w.Add("END:VCALENDAR");
  return w.Take();
}

const std::string* ICalendarProperty::Param(absl::string_view name) const {
  for (const ICalendarParameter& p : parameters) {
    if (absl::EqualsIgnoreCase(p.name, name) && !p.values.empty()) {
      return &p.values.front();
    }
  }
  return nullptr;
}

const ICalendarProperty* ICalendarComponent::Property(
    absl::string_view name) const {
  for (const ICalendarProperty& p : properties) {
    if (absl::EqualsIgnoreCase(p.name, name)) return &p;
  }
  return nullptr;
}

std::vector<const ICalendarComponent*> ICalendarComponent::Components(
    absl::string_view name) const {
  std::vector<const ICalendarComponent*> out;
  for (const ICalendarComponent& c : components) {
    if (absl::EqualsIgnoreCase(c.name, name)) out.push_back(&c);
  }
  return out;
}

absl::StatusOr<std::vector<ICalendarComponent>> ParseICalendar(
    absl::string_view text) {
  if (text.empty()) return LineError(1, "empty input");
  TreeBuilder tree;
  std::string logical;  // the content line being unfolded
  int logical_line = 0;
  int line = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    ++line;
    const size_t end = text.find_first_of("\r\n", pos);
    if (end == absl::string_view::npos) {
      return LineError(line, "line does not end in CRLF");
    }
    if (text[end] != '\r' || end + 1 == text.size() || text[end + 1] != '\n') {
      return LineError(line, "bare CR or LF (lines must end in CRLF)");
    }
    const absl::string_view physical = text.substr(pos, end - pos);
    pos = end + 2;
    if (!physical.empty() && (physical[0] == ' ' || physical[0] == '\t')) {
      if (logical_line == 0) {
        return LineError(line, "continuation line with no line to continue");
      }
      if (logical.size() + physical.size() - 1 >
          ICalendarLimits::kMaxContentLine) {
        return LineError(
            logical_line,
            absl::StrCat("content line longer than ",
                         ICalendarLimits::kMaxContentLine, " octets"));
      }
      logical.append(physical.data() + 1, physical.size() - 1);
      continue;
    }
    if (logical_line != 0) {
      if (absl::Status s = tree.Add(logical, logical_line); !s.ok()) return s;
    }
    if (physical.size() > ICalendarLimits::kMaxContentLine) {
      return LineError(
          line, absl::StrCat("content line longer than ",
                             ICalendarLimits::kMaxContentLine, " octets"));
    }
    logical.assign(physical.data(), physical.size());
    logical_line = line;
  }
  if (absl::Status s = tree.Add(logical, logical_line); !s.ok()) return s;
  return tree.Finish(line);
}

absl::StatusOr<absl::Time> ResolveICalendarDateTime(absl::string_view value,
                                                    const Zone& zone) {
  absl::StatusOr<std::pair<absl::CivilSecond, bool>> parsed =
      ParseDateTimeValue(value);
  if (!parsed.ok()) return parsed.status();
  if (parsed->second) {
    return absl::InvalidArgumentError(
        absl::StrCat("DATE-TIME ", Quote(value),
                     " is in UTC and takes no TZID (", zone.name(), ")"));
  }
  return ToInstant(zone, parsed->first, LocalTimePolicy::kRfc5545);
}

absl::StatusOr<absl::Time> ResolveICalendarDateTime(absl::string_view value,
                                                    absl::string_view tzid) {
  if (!tzid.empty()) {
    absl::StatusOr<Zone> zone = ResolveZone(tzid, "TZID");
    if (!zone.ok()) return zone.status();
    return ResolveICalendarDateTime(value, *zone);
  }
  absl::StatusOr<std::pair<absl::CivilSecond, bool>> parsed =
      ParseDateTimeValue(value);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->second) {
    return absl::InvalidArgumentError(
        absl::StrCat("DATE-TIME ", Quote(value),
                     " is floating (no Z, no TZID): it names no instant"));
  }
  return absl::FromCivil(parsed->first, absl::UTCTimeZone());
}

}  // namespace convene::core
