// ReminderMessage: the text of a reminder or a cancellation notice, rendered
// for one participant in their language and zone, with the venue's local time
// next to theirs and the address or the join link by the mode of the day.
//
//   ReminderMessageInput in;
//   in.language = "en";
//   in.participant_time_zone = "Europe/Rome";
//   in.venue_time_zone = "Europe/Athens";
//   in.event_title = "3rd CONNECTION workshop";
//   in.venue_city = "Thessaloniki";
//   in.starts = <2022-03-15 09:30 in Athens>;
//   in.lead = absl::Hours(24);
//   RenderedMessage m = RenderReminder(in);
//   // m.subject == "Reminder: 3rd CONNECTION workshop, 15 March 2022"
//   // m.body == "Hello,\n"
//   //           "3rd CONNECTION workshop starts tomorrow, 15 March 2022, "
//   //           "09:30 in Thessaloniki (08:30 your time, Europe/Rome)."
//
// The body is plain text, one line per "\n": a greeting, that sentence (the
// participant's clock in parentheses only when their zone differs from the
// venue's, with their date too when it is another day), the day's first
// session if named, then the venue and address, or the platform and join
// link, by the mode.
//
// Languages: English, Italian, Greek, Bulgarian, French, German and Dutch
// (primary BCP 47 tags en, it, el, bg, fr, de, nl; "it-IT" counts as "it").
// Any other tag falls back to English, and the result says which language
// was used.
#ifndef CONVENE_CORE_REMINDER_MESSAGE_H_
#define CONVENE_CORE_REMINDER_MESSAGE_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/notice.h"
#include "core/registration.h"
#include "core/zone.h"

namespace convene::core {

struct ReminderMessageInput {
  // BCP 47 tag of the participant's language; empty or unsupported: English.
  std::string language;
  // IANA zone of the participant's clock; empty or unknown: the venue's.
  std::string participant_time_zone;
  // IANA zone of the venue (the organiser's for an online-only event);
  // unknown: UTC.
  std::string venue_time_zone;

  std::string event_title;
  // The session the reminder is about (the day's first); empty: the event.
  std::string session_title;
  // Shown as "09:30 in <venue_city>"; empty: the venue zone's name is used.
  std::string venue_city;
  // The instant the reminder is about: the event's start or the day's first
  // session's start.
  absl::Time starts;
  // How long before `starts` the reminder is sent: phrased as "tomorrow"
  // (exactly one day), "in 7 days" (whole days), "in 3 hours" (whole hours),
  // else "in 45 minutes" (rounded down); "now" under a minute or when past.
  // Days are counted on the participant's calendar: whole days that a DST
  // change makes span another number of dates there are given in hours
  // ("in 24 hours", not "tomorrow", on Saturday 23:30 for Monday 00:30).
  absl::Duration lead;

  // The participant's mode on that day: in person gets the venue and its
  // address, online gets the platform and the join link.
  AttendanceMode mode = AttendanceMode::kInPerson;
  std::string venue_name;
  std::string venue_address;
  std::string platform;
  std::string join_url;

  // The participant's name for the greeting; empty: a greeting without it.
  std::string recipient_name;
};

struct RenderedMessage {
  // The language actually used ("en" after a fallback).
  std::string language;
  std::string subject;
  std::string body;
};

// A reminder of an upcoming event or event day.
RenderedMessage RenderReminder(const ReminderMessageInput& input);

// The notice that the event was cancelled (`lead` is not used; `reason` may
// be empty).
RenderedMessage RenderCancellationNotice(const ReminderMessageInput& input,
                                         const std::string& reason);

// A lifecycle notice (notice.h): what changed, then each day of the
// registration as it stands ("15 March 2022, 09:30 in Thessaloniki: in
// person" / "...: waiting list (online), place 3" / "...: cancelled"), then
// the venue and address (any in-person day) and the platform and join link
// (any online day). `message.starts` is the event's start now; a moved
// event also shows `previous_start` ("Before: ...", "Now: ...").
struct NoticeMessageInput {
  ReminderMessageInput message;  // `lead` and `mode` are not used
  NoticeKind kind = NoticeKind::kConfirmed;
  std::vector<NoticeDay> days;
  absl::Time previous_start = absl::InfinitePast();
};
RenderedMessage RenderNotice(const NoticeMessageInput& input);

// The primary tags rendered natively, English first.
const std::vector<std::string>& SupportedReminderLanguages();

}  // namespace convene::core

#endif  // CONVENE_CORE_REMINDER_MESSAGE_H_
