// The attendance domain: who registered for which days of an event, in which
// mode each day, and whether they have a seat or wait for one.
//
//   Registration r;
//   r.days = {{absl::CivilDay(2022, 3, 15), AttendanceMode::kInPerson,
//              RegistrationStatus::kConfirmed, 0},
//             {absl::CivilDay(2022, 3, 16), AttendanceMode::kOnline,
//              RegistrationStatus::kWaitlisted, 3}};
//
// A person has one mode per day (in the room on day 1, online on day 2):
// seats, waitlists and counts are per (day, mode).
#ifndef CONVENE_CORE_REGISTRATION_H_
#define CONVENE_CORE_REGISTRATION_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace convene::core {

enum class AttendanceMode { kInPerson, kOnline };
enum class RegistrationStatus { kConfirmed, kWaitlisted, kCancelled };

// A participant's own description (personal data).
struct ParticipantInfo {
  std::string participant_id;
  std::string display_name;
  std::string email;
  std::string organisation;
  std::string city;
  std::string country_code;
  std::string time_zone;  // IANA; empty: the event's
  std::string language;   // BCP 47 tag (core/language_tag.h); empty: English
};

// The mode wanted for one day.
struct DayChoice {
  absl::CivilDay date;
  AttendanceMode mode = AttendanceMode::kInPerson;
};

struct RegistrationDay {
  absl::CivilDay date;
  AttendanceMode mode = AttendanceMode::kInPerson;
  RegistrationStatus status = RegistrationStatus::kConfirmed;
  // 1-based place on the (date, mode) waitlist while waitlisted; else 0.
  int waitlist_position = 0;
};

struct Registration {
  std::string event_id;
  ParticipantInfo participant;
  std::vector<RegistrationDay> days;  // in date order
  // Confirmed when every day is; waitlisted when any day is; cancelled when
  // all days are.
  RegistrationStatus status = RegistrationStatus::kConfirmed;
  bool walk_in = false;
  // The personal data was erased (ForgetParticipant); ids and days remain.
  bool forgotten = false;
  int64_t revision = 0;
  absl::Time create_time = absl::InfinitePast();
  absl::Time update_time = absl::InfinitePast();
};

// Limits on participant fields; longer input is refused, not cut.
struct ParticipantLimits {
  static constexpr int kMaxId = 128;
  static constexpr int kMaxName = 200;
  static constexpr int kMaxEmail = 254;
  static constexpr int kMaxShortText = 100;
};

// Checks a participant for Register: id (1-128 of [A-Za-z0-9._@-]) and
// display name required, lengths, no control characters in names
// (CheckNoControlCharacters), the e-mail as the mail sender takes it
// (CheckMailAddress), country code, zone (must resolve), language tag. INVALID_ARGUMENT names "participant.<field>".
absl::Status ValidateParticipant(const ParticipantInfo& participant);

// A participant as a form or a spreadsheet sends it, made ready to store:
// spaces around names, organisations, cities and the e-mail are dropped and
// runs inside names, organisations and cities become one space (no-break
// and other Unicode spaces included), so "Brussels " and "Brussels" are one
// city in the counts; then ValidateParticipant. Register and walk-ins both
// take participants through this.
absl::StatusOr<ParticipantInfo> PrepareParticipant(ParticipantInfo participant);

// Checks that no day is listed twice; INVALID_ARGUMENT names "days[i]".
absl::Status ValidateDayChoices(const std::vector<DayChoice>& days);

// A registration's status from its days (the rule of Registration::status).
RegistrationStatus OverallStatus(const std::vector<RegistrationDay>& days);

}  // namespace convene::core

#endif  // CONVENE_CORE_REGISTRATION_H_
