// iCalendar (RFC 5545) export of events, and a strict reader for what it
// writes (tests, fuzzing, and the start of an import).
//
//   ICalendarOptions opts;
//   opts.now = clock.Now();  // DTSTAMP; never read from the real clock here
//   opts.calendar_name = "CONNECTION";
//   absl::StatusOr<std::string> ics = ExportICalendar(events, opts);
//   // BEGIN:VCALENDAR ... BEGIN:VTIMEZONE TZID:Europe/Athens ...
//   // BEGIN:VEVENT UID:s1.evt-42@convene
//   //   DTSTART;TZID=Europe/Athens:20220315T093000 ...
//
//   absl::StatusOr<std::vector<ICalendarComponent>> parsed =
//       ParseICalendar(*ics);
//   const ICalendarProperty* dtstart =
//       parsed->front().Components("VEVENT")[0]->Property("DTSTART");
//   absl::StatusOr<absl::Time> start = ResolveICalendarDateTime(
//       dtstart->value, *dtstart->Param("TZID"));
//
// Local time plus TZID is what the export states (the wall clock is the
// truth): the wall-clock time of each derived instant, which an RFC 5545
// reader resolves back to it, or UTC for the one time it cannot (below);
// each zone used gets a VTIMEZONE listing its transitions, one
// STANDARD/DAYLIGHT observance per transition (no RRULEs), over the years the
// events touch.

#ifndef CONVENE_SERVICES_CORE_ICALENDAR_H_
#define CONVENE_SERVICES_CORE_ICALENDAR_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "core/zone.h"

namespace convene::core {

// What ExportICalendar() needs besides the events.
struct ICalendarOptions {
  // PRODID of the calendar.
  std::string product_id = "-//Convene//Convene 0.1//EN";
  // DTSTAMP of every VEVENT: when the export was made. Required (the default
  // is refused), so that callers inject their clock's time.
  absl::Time now = absl::InfinitePast();
  // X-WR-CALNAME, the name clients show for the calendar; none when empty.
  std::string calendar_name;
};

// The calendar of `events` as RFC 5545 text: CRLF line ends, lines folded at
// 75 octets without splitting a UTF-8 character, METHOD:PUBLISH. One VEVENT
// per session (per event when it has none), UID "<session_id>.<event_id>@
// convene" (or "<event_id>@convene"), DTSTART/DTEND naming the derived
// instants (start, end): their wall-clock time with the event's TZID, which
// for a local time that a LocalTimePolicy resolved in a gap is the time the
// clocks really showed (02:30 EARLIER in the Brussels spring gap is written
// 01:30), and UTC ("...Z") for the second occurrence of an ambiguous time
// (LATER in an overlap), which a TZID value cannot name (RFC 5545 reads it as
// the first); SEQUENCE = revision - 1, STATUS CONFIRMED or CANCELLED
// (cancelled events, removed sessions, and the whole-event entry of an event
// listed_as_whole_event while it has sessions);
// LOCATION only for items people can attend in person, CONFERENCE (RFC 7986)
// only for items with a join URL that people can attend online. Events are
// expected to have passed PrepareEvent(); text that is not UTF-8 is repaired
// (U+FFFD) rather than refused. Returns INVALID_ARGUMENT for an unset
// `opts.now`, an event whose zone does not resolve, or a local time outside
// the years 0001..9999, naming the field ("events[2].time_zone: ...").
absl::StatusOr<std::string> ExportICalendar(const std::vector<Event>& events,
                                            const ICalendarOptions& opts);

// One parameter of a content line: "TZID=Europe/Athens" or
// "MEMBER=\"mailto:a@x\",\"mailto:b@x\"".
struct ICalendarParameter {
  std::string name;                 // upper-cased
  std::vector<std::string> values;  // as written, without the quotes
};

// One content line, unfolded: NAME;PARAM=VALUE...:VALUE.
struct ICalendarProperty {
  std::string name;  // upper-cased
  std::vector<ICalendarParameter> parameters;
  // As written: TEXT values are still escaped (see UnescapeICalendarText()).
  std::string value;
  // Line of the input (1-based, physical) where the property begins.
  int line = 0;

  // The first value of parameter `name` (case-insensitive), or nullptr.
  const std::string* Param(absl::string_view name) const;
};

// A BEGIN:NAME ... END:NAME block.
struct ICalendarComponent {
  std::string name;  // upper-cased, e.g. "VEVENT"
  std::vector<ICalendarProperty> properties;
  std::vector<ICalendarComponent> components;
  // Line of the BEGIN.
  int line = 0;

  // The first property called `name` (case-insensitive), or nullptr.
  const ICalendarProperty* Property(absl::string_view name) const;
  // The direct sub-components called `name` (case-insensitive), in order.
  std::vector<const ICalendarComponent*> Components(
      absl::string_view name) const;
};

// Bounds that keep ParseICalendar() cheap on hostile input.
struct ICalendarLimits {
  // Octets of one unfolded content line.
  static constexpr size_t kMaxContentLine = 64 * 1024;
  // Components nested in one another (VCALENDAR > VTIMEZONE > STANDARD is 3).
  static constexpr int kMaxDepth = 16;
};

// Parses an iCalendar stream into its top-level components (each a
// VCALENDAR). Strict: lines must end in CRLF, be UTF-8 without control
// characters (tabs aside), follow NAME *(;PARAM=VALUE) :VALUE with RFC 5545
// names and parameter values, and nest BEGIN/END properly; properties must
// lie inside a component. Anything else, and anything beyond
// ICalendarLimits, is INVALID_ARGUMENT "line N: <reason>". Never crashes,
// whatever the input; time and memory are linear in its size.
absl::StatusOr<std::vector<ICalendarComponent>> ParseICalendar(
    absl::string_view text);

// One participant's invitation (iTIP, RFC 5546) to the days they attend:
// METHOD:REQUEST with one VEVENT per day under one UID per event and
// participant (the first day with RDATE periods for the others, each other
// day an instance with its RECURRENCE-ID), so that a later REQUEST with a
// higher SEQUENCE replaces the whole (days added, moved or dropped), and
// METHOD:CANCEL removes it. Times are UTC. ORGANIZER is required: no
// invitation without an organiser address.
struct InvitationDay {
  absl::Time start;
  absl::Time end;
  std::string location;     // the address in person, the join link online
  std::string description;  // "In person" / "Online: <link>"
};
struct Invitation {
  bool cancel = false;  // METHOD:CANCEL (no days needed)
  std::string uid;      // stable per event and participant
  int64_t sequence = 0;
  absl::Time stamp;
  std::string summary;
  std::string organiser_name, organiser_email;
  std::string attendee_name, attendee_email;
  std::vector<InvitationDay> days;  // in time order; REQUEST: at least one
};
absl::StatusOr<std::string> WriteInvitation(const Invitation& invitation);

// TEXT escaping (RFC 5545 section 3.3.11): backslash, semicolon and comma
// get a backslash, a line break (LF, CRLF or CR) becomes "\n"; other control
// characters but tab are dropped, as TEXT cannot hold them, and bytes that
// are not UTF-8 become U+FFFD.
std::string EscapeICalendarText(absl::string_view text);

// The inverse: "\\", "\;", "\,", "\n" and "\N" are decoded; any other
// backslash sequence is INVALID_ARGUMENT.
absl::StatusOr<std::string> UnescapeICalendarText(absl::string_view value);

// The instant of a DATE-TIME value, read as RFC 5545 section 3.3.5 says:
// "20220315T093000Z" is UTC (then `tzid` must be empty); "20220315T093000"
// with a TZID is local time in that IANA zone, a time in a DST gap read with
// the offset from before the gap and one in an overlap as its first
// occurrence (LocalTimePolicy::kRfc5545). A floating time (no Z, no TZID), a
// malformed value, an unknown zone are INVALID_ARGUMENT.
absl::StatusOr<absl::Time> ResolveICalendarDateTime(absl::string_view value,
                                                    absl::string_view tzid);

// The same for a local value in `zone` (for zones built from other rules).
absl::StatusOr<absl::Time> ResolveICalendarDateTime(absl::string_view value,
                                                    const Zone& zone);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_ICALENDAR_H_
