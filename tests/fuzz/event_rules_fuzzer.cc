// Fuzzes PrepareEvent() on events built from the input (as CreateEvent and
// UpdateEvent hand them over), then writes every prepared event as iCalendar
// and reads it back. Promises checked:
// - a refusal is INVALID_ARGUMENT naming a field of the event;
// - a prepared event keeps its rules: sessions with unique ids, in start
//   order, inside the event, each ending after it starts, instants derived;
// - ExportICalendar() accepts it; ParseICalendar() reads the text back, every
//   physical line within 75 octets; one VEVENT per session (or for the event)
//   whose UID, SUMMARY and DTSTART/DTEND say what the event says, the
//   DATE-TIMEs resolving to the derived instants whatever the policy: a
//   local time that occurs once is written as it is, with the event's TZID.

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "core/event_rules.h"
#include "core/icalendar.h"
#include "core/local_time_resolution.h"
#include "core/zone.h"
#include "fuzz_check.h"

namespace convene::core {
namespace {

constexpr int64_t kDaySeconds = 24 * 60 * 60;

// Mostly short texts, now and then one past the limits.
std::string ConsumeText(FuzzedDataProvider& in) {
  return in.ConsumeRandomLengthString(in.ConsumeBool() ? 24 : 260);
}

std::string ConsumeUrl(FuzzedDataProvider& in) {
  if (in.ConsumeBool()) return "";
  std::string url = in.ConsumeBool() ? "https://" : "";
  return url + in.ConsumeRandomLengthString(40);
}

EventFormat ConsumeFormat(FuzzedDataProvider& in) {
  return static_cast<EventFormat>(in.ConsumeIntegralInRange(0, 3));
}

Session ConsumeSession(FuzzedDataProvider& in, absl::CivilSecond event_start,
                       int64_t event_seconds) {
  Session s;
  if (in.ConsumeBool()) s.id = in.ConsumeRandomLengthString(8);
  s.title = ConsumeText(in);
  s.description = in.ConsumeRandomLengthString(40);
  s.start_local = event_start + in.ConsumeIntegralInRange<int64_t>(
                                    -3600, event_seconds + 3600);
  s.end_local =
      s.start_local + in.ConsumeIntegralInRange<int64_t>(-60, 2 * kDaySeconds);
  s.format = ConsumeFormat(in);
  s.room = in.ConsumeRandomLengthString(16);
  s.join_url = ConsumeUrl(in);
  return s;
}

Event ConsumeEvent(FuzzedDataProvider& in) {
  Event e;
  e.id = in.ConsumeRandomLengthString(16);
  e.title = ConsumeText(in);
  e.description = ConsumeText(in);
  e.kind = static_cast<EventKind>(in.ConsumeIntegralInRange(0, 7));
  e.community = in.ConsumeRandomLengthString(16);
  e.organisers.resize(in.ConsumeIntegralInRange(0, 3));
  for (std::string& organiser : e.organisers) organiser = ConsumeText(in);
  e.city = in.ConsumeRandomLengthString(16);
  e.country_code = in.ConsumeRandomLengthString(3);
  e.format = ConsumeFormat(in);
  e.time_zone =
      in.ConsumeIntegralInRange(0, 15) != 0
          ? std::string(fuzz::kZones[in.ConsumeIntegralInRange<size_t>(
                0, std::size(fuzz::kZones) - 1)])
          : in.ConsumeRandomLengthString(24);
  // Years 0 and 10000 as well: ToInstant() must refuse them.
  e.start_local = absl::CivilSecond(
      in.ConsumeIntegralInRange(0, 10000), in.ConsumeIntegralInRange(1, 12),
      in.ConsumeIntegralInRange(1, 31), in.ConsumeIntegralInRange(0, 23),
      in.ConsumeIntegralInRange(0, 59), in.ConsumeIntegralInRange(0, 59));
  const int64_t span =
      in.ConsumeIntegralInRange<int64_t>(-3600, 370 * kDaySeconds);
  e.end_local = e.start_local + span;
  e.venue.name = in.ConsumeRandomLengthString(24);
  e.venue.address = in.ConsumeRandomLengthString(24);
  e.venue.city = in.ConsumeRandomLengthString(16);
  e.venue.in_person_capacity = in.ConsumeIntegralInRange(-1, 1000001);
  e.online.platform = in.ConsumeRandomLengthString(16);
  e.online.join_url = ConsumeUrl(in);
  e.online.online_capacity = in.ConsumeIntegralInRange(-1, 1000001);
  e.sessions.resize(in.ConsumeIntegralInRange(0, 6));
  for (Session& s : e.sessions) {
    s = ConsumeSession(in, e.start_local, std::max<int64_t>(span, 0));
  }
  if (in.ConsumeBool()) {
    e.status = EventStatus::kCancelled;
    e.cancel_reason = in.ConsumeRandomLengthString(32);
  }
  e.local_time_policy =
      static_cast<LocalTimePolicy>(in.ConsumeIntegralInRange(0, 3));
  e.revision = in.ConsumeIntegralInRange(0, 100);
  if (in.ConsumeBool()) {
    e.create_time = absl::FromUnixSeconds(in.ConsumeIntegral<int32_t>());
    e.update_time =
        e.create_time + absl::Seconds(in.ConsumeIntegral<uint16_t>());
  }
  return e;
}

void CheckPrepared(const Event& e) {
  FUZZ_CHECK(!e.title.empty() && fuzz::WithinChars(e.title, 200), "accepted a title of ",
             e.title.size(), " bytes");
  FUZZ_CHECK(e.start < e.end && !e.tzdata_version.empty(),
             "the event's instants are not derived");
  std::set<std::string> ids;
  for (size_t i = 0; i < e.sessions.size(); ++i) {
    const Session& s = e.sessions[i];
    FUZZ_CHECK(!s.id.empty() && ids.insert(s.id).second, "session ", i,
               " has the id \"", s.id, "\" empty or twice");
    FUZZ_CHECK(i == 0 || e.sessions[i - 1].start_local <= s.start_local,
               "sessions are not in start order");
    FUZZ_CHECK(e.start_local <= s.start_local && s.start_local < s.end_local &&
                   s.end_local <= e.end_local,
               "session ", i, " lies outside its event");
    FUZZ_CHECK(s.start < s.end, "session ", i, " ends before it starts");
  }
}

// DTSTART/DTEND must resolve, read as RFC 5545 says, to the instants
// PrepareEvent() derived, whichever policy read a gap or an overlap: with the
// event's TZID, or in UTC for what a TZID value cannot name. A local time
// that occurs once is written as it is.
void CheckDateTime(const ICalendarComponent& vevent, absl::string_view name,
                   const Event& e, absl::CivilSecond local,
                   absl::Time instant) {
  const ICalendarProperty* p = vevent.Property(name);
  FUZZ_CHECK(p != nullptr, name, " is missing");
  const std::string* tzid = p->Param("TZID");
  FUZZ_CHECK(tzid == nullptr || *tzid == e.time_zone, name, " with another TZID");
  const absl::StatusOr<absl::Time> resolved =
      ResolveICalendarDateTime(p->value, tzid == nullptr ? "" : *tzid);
  FUZZ_CHECK(resolved.ok(), name, " ", p->value, ": ",
             resolved.status().ToString());
  FUZZ_CHECK(*resolved == instant, name, " ", p->value, " resolves to ",
             absl::FormatTime(*resolved), ", not ", absl::FormatTime(instant));
  const absl::StatusOr<Zone> zone = ResolveZone(e.time_zone);
  FUZZ_CHECK(zone.ok(), "the event's zone does not resolve");
  if (Classify(*zone, local).kind == LocalTimeKind::kUnique) {
    const std::string written = absl::StrFormat(
        "%04d%02d%02dT%02d%02d%02d", static_cast<int>(local.year()),
        local.month(), local.day(), local.hour(), local.minute(), local.second());
    FUZZ_CHECK(tzid != nullptr && p->value == written, name, " is ", p->value,
               ", not ", written, " with its TZID");
  }
}

void CheckExport(const Event& e, absl::string_view calendar_name) {
  ICalendarOptions opts;
  opts.now = absl::FromUnixSeconds(1646222400);  // 2022-03-02T12:00Z
  opts.calendar_name = std::string(calendar_name);
  const absl::StatusOr<std::string> ics = ExportICalendar({e}, opts);
  FUZZ_CHECK(ics.ok(),
             "a prepared event does not export: ", ics.status().ToString());
  for (absl::string_view line : absl::StrSplit(*ics, "\r\n")) {
    FUZZ_CHECK(line.size() <= 75, "a line of ", line.size(), " octets");
  }
  const absl::StatusOr<std::vector<ICalendarComponent>> parsed =
      ParseICalendar(*ics);
  FUZZ_CHECK(parsed.ok() && parsed->size() == 1,
             "the export does not read back: ", parsed.status().ToString(),
             "\n", absl::CHexEscape(*ics));
  const ICalendarComponent& calendar = parsed->front();
  FUZZ_CHECK(calendar.Components("VTIMEZONE").size() == 1, "not one VTIMEZONE");
  const std::vector<const ICalendarComponent*> vevents =
      calendar.Components("VEVENT");
  const size_t expected = std::max<size_t>(e.sessions.size(), 1);
  FUZZ_CHECK(vevents.size() == expected, vevents.size(), " VEVENTs for ",
             expected, " items");
  for (size_t i = 0; i < vevents.size(); ++i) {
    const Session* s = e.sessions.empty() ? nullptr : &e.sessions[i];
    const ICalendarComponent& v = *vevents[i];
    const ICalendarProperty* uid = v.Property("UID");
    const ICalendarProperty* summary = v.Property("SUMMARY");
    FUZZ_CHECK(
        uid != nullptr &&
            uid->value == EscapeICalendarText(
                              s == nullptr
                                  ? absl::StrCat(e.id, "@convene")
                                  : absl::StrCat(s->id, ".", e.id, "@convene")),
        "VEVENT ", i, " has the wrong UID");
    FUZZ_CHECK(
        summary != nullptr &&
            summary->value == EscapeICalendarText(
                                  s == nullptr
                                      ? e.title
                                      : absl::StrCat(e.title, ": ", s->title)),
        "VEVENT ", i, " has the wrong SUMMARY");
    CheckDateTime(v, "DTSTART", e,
                  s == nullptr ? e.start_local : s->start_local,
                  s == nullptr ? e.start : s->start);
    CheckDateTime(v, "DTEND", e, s == nullptr ? e.end_local : s->end_local,
                  s == nullptr ? e.end : s->end);
  }
}

void Fuzz(FuzzedDataProvider& in) {
  const std::string calendar_name = in.ConsumeRandomLengthString(16);
  const Event request = ConsumeEvent(in);
  const absl::StatusOr<Zone> zone =
      ResolveZone(request.time_zone, "event.time_zone");
  if (!zone.ok()) {
    FUZZ_CHECK(
        zone.status().code() == absl::StatusCode::kInvalidArgument &&
            absl::StartsWith(zone.status().message(), "event.time_zone: "),
        zone.status().ToString());
    return;
  }
  Event e = request;
  const absl::Status status = PrepareEvent(e, *zone);
  if (!status.ok()) {
    FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument &&
                   absl::StartsWith(status.message(), "event."),
               "unexpected status ", status.ToString());
    return;
  }
  CheckPrepared(e);
  CheckExport(e, calendar_name);
}

}  // namespace
}  // namespace convene::core

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  convene::core::Fuzz(in);
  return 0;
}
