#include "core/event_rules.h"

#include <algorithm>
#include <string>
#include <tuple>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/event_days.h"
#include "core/internal/field_error.h"
#include "core/mail_message.h"
#include "core/text_limits.h"
#include "core/local_date_time.h"
#include "core/tzdata_version.h"
#include "core/zone_rules.h"
#include "core/zoned_rendering.h"

namespace convene::core {
namespace {

using internal::FieldError;

absl::Status CheckUrl(absl::string_view field, absl::string_view url) {
  if (url.empty()) return absl::OkStatus();
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return FieldError(field, "must not contain spaces or control characters");
    }
    // RFC 3986: other characters travel percent-encoded (calendar clients
    // and the iCalendar writer expect plain ASCII URIs).
    if (static_cast<unsigned char>(c) >= 0x80) {
      return FieldError(field, "must be ASCII; percent-encode other characters");
    }
  }
  if (absl::Status s = CheckTextLength(field, url, EventLimits::kMaxUrl, false);
      !s.ok()) {
    return s;
  }
  if (!absl::StartsWith(url, "https://") && !absl::StartsWith(url, "http://")) {
    return FieldError(field, absl::StrCat(internal::Quote(url),
                                          " is not an http(s):// URL"));
  }
  return absl::OkStatus();
}

absl::Status CheckCapacity(absl::string_view field, int capacity) {
  if (capacity < 0) return FieldError(field, "must not be negative");
  if (capacity > EventLimits::kMaxCapacity) {
    return FieldError(field, absl::StrCat("must be at most ",
                                          EventLimits::kMaxCapacity));
  }
  return absl::OkStatus();
}

bool IsSessionIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '-';
}

absl::Status CheckTexts(const Event& e) {
  struct Text {
    const char* field;
    const std::string& value;
    int max;
    bool required;
  };
  const Text texts[] = {
      {"event.title", e.title, EventLimits::kMaxTitle, true},
      {"event.description", e.description, EventLimits::kMaxDescription, false},
      {"event.community", e.community, EventLimits::kMaxCommunity, false},
      {"event.city", e.city, EventLimits::kMaxShortText, false},
      {"event.venue.name", e.venue.name, EventLimits::kMaxName, false},
      {"event.venue.address", e.venue.address, EventLimits::kMaxAddress, false},
      {"event.venue.city", e.venue.city, EventLimits::kMaxShortText, false},
      {"event.online.platform", e.online.platform, EventLimits::kMaxShortText,
       false},
      {"event.organiser_contact.name", e.organiser_contact.name, EventLimits::kMaxName, false},
  };
  for (const Text& t : texts) {
    if (absl::Status s = CheckTextLength(t.field, t.value, t.max, t.required);
        !s.ok()) {
      return s;
    }
  }
  if (absl::Status s = CheckNoControlCharacters("event.organiser_contact.name",
                                                e.organiser_contact.name);
      !s.ok()) {
    return s;
  }
  if (!e.organiser_contact.email.empty()) {
    if (absl::Status s = CheckMailAddress(e.organiser_contact.email); !s.ok()) {
      return FieldError("event.organiser_contact.email", s.message());
    }
  }
  if (static_cast<int>(e.organisers.size()) > EventLimits::kMaxOrganisers) {
    return FieldError("event.organisers",
                      absl::StrCat("has ", e.organisers.size(),
                                   " entries; at most ",
                                   EventLimits::kMaxOrganisers, " are allowed"));
  }
  for (size_t i = 0; i < e.organisers.size(); ++i) {
    if (absl::Status s =
            CheckTextLength(absl::StrCat("event.organisers[", i, "]"),
                        e.organisers[i], EventLimits::kMaxName, true);
        !s.ok()) {
      return s;
    }
  }
  if (!e.country_code.empty() &&
      (e.country_code.size() != 2 ||
       !absl::ascii_isupper(static_cast<unsigned char>(e.country_code[0])) ||
       !absl::ascii_isupper(static_cast<unsigned char>(e.country_code[1])))) {
    return FieldError("event.country_code",
                      absl::StrCat(internal::Quote(e.country_code),
                                   " is not a two-letter upper-case code"));
  }
  return absl::OkStatus();
}

absl::Status CheckFormat(const Event& e) {
  if (e.format == EventFormat::kUnspecified) {
    return FieldError("event.format", "is required (IN_PERSON, ONLINE or HYBRID)");
  }
  if (absl::Status s = CheckCapacity("event.venue.in_person_capacity",
                                     e.venue.in_person_capacity);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckCapacity("event.online.online_capacity",
                                     e.online.online_capacity);
      !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckUrl("event.online.join_url", e.online.join_url);
      !s.ok()) {
    return s;
  }
  if (OffersInPerson(e.format) && e.venue.name.empty() &&
      e.venue.address.empty()) {
    return FieldError("event.venue",
                      "an in-person or hybrid event needs a venue name or "
                      "address");
  }
  if (!OffersInPerson(e.format) && e.venue.in_person_capacity != 0) {
    return FieldError("event.venue.in_person_capacity",
                      "an online-only event has no in-person seats");
  }
  if (!OffersOnline(e.format) && !e.online.join_url.empty()) {
    return FieldError("event.online.join_url",
                      "an in-person-only event has no join URL");
  }
  if (e.check_in_margin < absl::ZeroDuration() ||
      e.check_in_margin > kMaxCheckInMargin) {
    return FieldError("event.check_in_margin",
                      absl::StrCat(absl::FormatDuration(e.check_in_margin),
                                   " is outside 0 to 7 days"));
  }
  return absl::OkStatus();
}

absl::Status CheckSessions(Event& e) {
  if (static_cast<int>(e.sessions.size()) > EventLimits::kMaxSessions) {
    return FieldError("event.sessions",
                      absl::StrCat("has ", e.sessions.size(),
                                   " sessions; at most ",
                                   EventLimits::kMaxSessions, " are allowed"));
  }
  absl::flat_hash_set<std::string> ids;
  for (size_t i = 0; i < e.sessions.size(); ++i) {
    const Session& s = e.sessions[i];
    const std::string field = absl::StrCat("event.sessions[", i, "]");
    if (absl::Status st = CheckTextLength(absl::StrCat(field, ".title"), s.title,
                                      EventLimits::kMaxTitle, true);
        !st.ok()) {
      return st;
    }
    if (absl::Status st =
            CheckTextLength(absl::StrCat(field, ".description"), s.description,
                        EventLimits::kMaxDescription, false);
        !st.ok()) {
      return st;
    }
    if (absl::Status st = CheckTextLength(absl::StrCat(field, ".room"), s.room,
                                      EventLimits::kMaxShortText, false);
        !st.ok()) {
      return st;
    }
    if (absl::Status st = CheckUrl(absl::StrCat(field, ".join_url"), s.join_url);
        !st.ok()) {
      return st;
    }
    if (!s.id.empty()) {
      if (static_cast<int>(s.id.size()) > EventLimits::kMaxSessionId ||
          !std::all_of(s.id.begin(), s.id.end(), IsSessionIdChar)) {
        return FieldError(absl::StrCat(field, ".id"),
                          absl::StrCat(internal::Quote(s.id),
                                       " must be 1-64 characters of "
                                       "[A-Za-z0-9._-]"));
      }
      for (const Session& removed : e.removed_sessions) {
        if (removed.id == s.id) {
          return FieldError(absl::StrCat(field, ".id"),
                            absl::StrCat(internal::Quote(s.id),
                                         " belonged to a removed session; session "
                                         "ids are never reused"));
        }
      }
      if (!ids.insert(s.id).second) {
        return FieldError(absl::StrCat(field, ".id"),
                          absl::StrCat(internal::Quote(s.id),
                                       " is used by another session"));
      }
    }
    if (s.end_local <= s.start_local) {
      return FieldError(absl::StrCat(field, ".end_local"),
                        absl::StrCat(FormatLocalDateTime(s.end_local),
                                     " is not after start_local ",
                                     FormatLocalDateTime(s.start_local)));
    }
    if (s.start_local < e.start_local || s.end_local > e.end_local) {
      return FieldError(
          absl::StrCat(field, s.start_local < e.start_local ? ".start_local"
                                                            : ".end_local"),
          absl::StrCat("the session ", FormatLocalDateTime(s.start_local), "/",
                       FormatLocalDateTime(s.end_local),
                       " lies outside its event ",
                       FormatLocalDateTime(e.start_local), "/",
                       FormatLocalDateTime(e.end_local)));
    }
    const EventFormat f = EffectiveFormat(e, s);
    if ((OffersInPerson(f) && !OffersInPerson(e.format)) ||
        (OffersOnline(f) && !OffersOnline(e.format))) {
      return FieldError(absl::StrCat(field, ".format"),
                        "the session offers a mode its event does not");
    }
    if (!OffersOnline(f) && !s.join_url.empty()) {
      return FieldError(absl::StrCat(field, ".join_url"),
                        "an in-person-only session has no join URL");
    }
  }
  // Ids for sessions that have none, skipping ids already taken, now or by
  // a removed session: an id means one session for the life of the event.
  for (const Session& s : e.removed_sessions) ids.insert(s.id);
  int next = 1;
  for (Session& s : e.sessions) {
    if (!s.id.empty()) continue;
    std::string id;
    do {
      id = absl::StrCat("s", next++);
    } while (ids.contains(id));
    ids.insert(id);
    s.id = std::move(id);
  }
  std::stable_sort(e.sessions.begin(), e.sessions.end(),
                   [](const Session& a, const Session& b) {
                     return a.start_local < b.start_local;
                   });
  return absl::OkStatus();
}

size_t SessionBytes(const Session& s) {
  return EventLimits::kBytesPerSession + s.id.size() + s.title.size() + s.description.size() +
         s.room.size() + s.join_url.size();
}

// Each text has its own limit; together they have this one, which the
// removed sessions, kept without a count limit, would otherwise pass.
absl::Status CheckEventBytes(const Event& e) {
  size_t bytes = e.title.size() + e.description.size() + e.community.size() +
                 e.city.size() + e.country_code.size() + e.time_zone.size() +
                 e.venue.name.size() + e.venue.address.size() + e.venue.city.size() +
                 e.online.platform.size() + e.online.join_url.size() +
                 e.cancel_reason.size() + e.organiser_contact.name.size() +
                 e.organiser_contact.email.size();
  for (const std::string& o : e.organisers) bytes += o.size();
  for (const Session& s : e.sessions) bytes += SessionBytes(s);
  for (const Session& s : e.removed_sessions) bytes += SessionBytes(s);
  if (bytes <= static_cast<size_t>(EventLimits::kMaxEventBytes)) return absl::OkStatus();
  return FieldError("event.sessions",
                    absl::StrCat("the event would weigh ", bytes, " bytes (its texts and ",
                                 EventLimits::kBytesPerSession, " for each session), its ",
                                 e.removed_sessions.size(),
                                 " removed sessions included (they are kept for the life "
                                 "of the event); at most ",
                                 EventLimits::kMaxEventBytes, " are allowed"));
}

}  // namespace

absl::Status DeriveEventInstants(Event& e, const Zone& zone) {
  absl::StatusOr<absl::Time> start =
      ToInstant(zone, e.start_local, e.local_time_policy, "event.start_local");
  if (!start.ok()) return start.status();
  absl::StatusOr<absl::Time> end =
      ToInstant(zone, e.end_local, e.local_time_policy, "event.end_local");
  if (!end.ok()) return end.status();
  if (*end <= *start) {
    return FieldError("event.end_local",
                      "the end instant is not after the start instant");
  }
  // A local time at the edge of the years an event may use can name an
  // instant outside them in UTC (9999-12-31T23:00 in New York is year
  // 10000 in UTC), which no export, feed or timestamp could then write.
  // Sessions lie inside the event's instants (below), so two checks do.
  for (const auto& [field, local, instant] :
       {std::tuple<const char*, absl::CivilSecond, absl::Time>{"event.start_local",
                                                               e.start_local, *start},
        std::tuple<const char*, absl::CivilSecond, absl::Time>{"event.end_local", e.end_local,
                                                               *end}}) {
    const absl::CivilSecond utc = absl::ToCivilSecond(instant, absl::UTCTimeZone());
    if (utc.year() < kMinSupportedYear || utc.year() > kMaxSupportedYear) {
      return FieldError(
          field, absl::StrCat(FormatLocalDateTime(local), " in ", zone.name(), " is ",
                              absl::FormatTime("%Y-%m-%dT%H:%MZ", instant, absl::UTCTimeZone()),
                              ", outside the years ", kMinSupportedYear, "-",
                              kMaxSupportedYear, " an instant may have"));
    }
  }
  e.start = *start;
  e.end = *end;
  for (size_t i = 0; i < e.sessions.size(); ++i) {
    Session& s = e.sessions[i];
    const std::string field = absl::StrCat("event.sessions[", i, "]");
    absl::StatusOr<absl::Time> ss = ToInstant(
        zone, s.start_local, e.local_time_policy, absl::StrCat(field, ".start_local"));
    if (!ss.ok()) return ss.status();
    absl::StatusOr<absl::Time> se = ToInstant(
        zone, s.end_local, e.local_time_policy, absl::StrCat(field, ".end_local"));
    if (!se.ok()) return se.status();
    if (*se <= *ss) {
      return FieldError(absl::StrCat(field, ".end_local"),
                        "the end instant is not after the start instant");
    }
    // CheckSessions compared wall-clock times, but a policy reads times in a
    // gap out of order (02:30 moved to 03:30 comes after 03:10), so a
    // session inside its event on the clock can start before it in time.
    if (*ss < e.start || *se > e.end) {
      const bool early = *ss < e.start;
      return FieldError(
          absl::StrCat(field, early ? ".start_local" : ".end_local"),
          absl::StrCat(FormatLocalDateTime(early ? s.start_local : s.end_local), " (",
                       FormatUtcInstant(early ? *ss : *se), ") is ",
                       early ? "before its event's start " : "after its event's end ",
                       FormatLocalDateTime(early ? e.start_local : e.end_local), " (",
                       FormatUtcInstant(early ? e.start : e.end), ") in ", zone.name()));
    }
    s.start = *ss;
    s.end = *se;
  }
  e.tzdata_version = TzdataVersion();
  return absl::OkStatus();
}

absl::Status PrepareEvent(Event& e, const Zone& zone) {
  if (absl::Status s = CheckTexts(e); !s.ok()) return s;
  if (absl::Status s = CheckFormat(e); !s.ok()) return s;
  if (e.end_local <= e.start_local) {
    return FieldError("event.end_local",
                      absl::StrCat(FormatLocalDateTime(e.end_local),
                                   " is not after start_local ",
                                   FormatLocalDateTime(e.start_local)));
  }
  // Dates counted as SplitIntoLocalDays counts them (an end at 00:00 closes
  // the previous date), so that every event accepted has its days.
  const int64_t dates =
      absl::CivilDay(e.end_local - 1) - absl::CivilDay(e.start_local) + 1;
  if (dates > EventLimits::kMaxDays) {
    return FieldError("event.end_local",
                      absl::StrCat("an event spans at most ", EventLimits::kMaxDays,
                                   " local days; ", FormatLocalDateTime(e.start_local), " to ",
                                   FormatLocalDateTime(e.end_local), " covers ", dates));
  }
  if (absl::Status s = CheckSessions(e); !s.ok()) return s;
  // A removed session is kept for the life of the event as a tombstone:
  // its id (never reused), title, times and format, which its check-ins
  // and the calendars that must drop it need. Its description, room and
  // join link are nobody's business any more, and kept they made a few
  // replacements of a programme fill the event's byte bound.
  for (Session& removed : e.removed_sessions) {
    removed.description.clear();
    removed.room.clear();
    removed.join_url.clear();
  }
  if (absl::Status s = CheckEventBytes(e); !s.ok()) return s;
  return DeriveEventInstants(e, zone);
}

absl::Status ValidateCancelReason(absl::string_view reason) {
  return CheckTextLength("reason", reason, EventLimits::kMaxReason, true);
}

}  // namespace convene::core
