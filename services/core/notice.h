// Notice: which lifecycle notice a participant is owed. The rule compares
// what they were last told about their registration (a NoticeState, kept by
// the notification service once a notice went out) with how things stand
// now, so that a change undone before its notice is sent owes nothing, and
// several changes before it owe one notice that says where things ended.
//
//   NoticeState now = NoticeStateOf(event, zone, registration);
//   std::optional<NoticeKind> owed = OwedNotice(told.get(), now);
//   // told == nullptr (never told anything) and a confirmed day: kConfirmed
//
// No I/O; the text of a notice is RenderNotice (reminder_message.h).
#ifndef CONVENE_CORE_NOTICE_H_
#define CONVENE_CORE_NOTICE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/event.h"
#include "core/registration.h"
#include "core/zone.h"

namespace convene::core {

// The lifecycle notices, besides the event's cancellation (a notice of its
// own, reminder_planner.h), in the order they win when several changes meet
// in one notice.
enum class NoticeKind {
  kCancelled,     // every day of the registration cancelled
  kRescheduled,   // the event's start or end moved
  kPromoted,      // a waitlisted day confirmed
  kDayCancelled,  // some days cancelled, others kept
  kModeChanged,   // a day's mode changed
  kConfirmed,     // registered (or a day added) with a seat
  kWaitlisted,    // registered (or a day added) on the waiting list
  kVenueChanged,  // the venue or the join link of a day attended changed
};

// The name mail filters and the API see: "cancelled", "rescheduled",
// "promoted", "day-cancelled", "mode-changed", "confirmed", "waitlisted",
// "venue-changed".
absl::string_view NoticeKindName(NoticeKind kind);

struct NoticeDay {
  absl::CivilDay date;
  AttendanceMode mode = AttendanceMode::kInPerson;
  RegistrationStatus status = RegistrationStatus::kConfirmed;
  int waitlist_position = 0;
  absl::Time starts;  // the day's first session, or the event's time of day
  // Where: the venue ("name, address") in person, the join link online.
  std::string where;

  bool operator==(const NoticeDay&) const = default;
};

struct NoticeState {
  absl::Time event_start;
  absl::Time event_end;
  std::vector<NoticeDay> days;  // the registration's days, in date order

  bool operator==(const NoticeState&) const = default;
};

// How things stand for `registration` at `event` now.
NoticeState NoticeStateOf(const Event& event, const Zone& zone, const Registration& registration);

// A one-line text form, and back (DATA_LOSS for text this did not write).
std::string FormatNoticeState(const NoticeState& state);
absl::StatusOr<NoticeState> ParseNoticeState(absl::string_view text);

// The notice owed to someone told `told` (nullptr: nothing yet) now that
// things stand as `now`; nullopt: none (nothing they would care about
// changed, or nothing was ever theirs: all days cancelled before any
// notice).
std::optional<NoticeKind> OwedNotice(const NoticeState* told, const NoticeState& now);

}  // namespace convene::core

#endif  // CONVENE_CORE_NOTICE_H_
