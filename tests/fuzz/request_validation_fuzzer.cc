// Fuzzes the request checks of the attendance and notification services:
// PrepareParticipant (and ValidateParticipant), ValidateDayChoices and ValidateReminderPolicy, on
// values built from the input (the first choice picks which). Promises
// checked: a refusal is INVALID_ARGUMENT naming the field; what is accepted
// satisfies the rules the headers state; the day and reminder checks refuse
// exactly what breaks them.

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
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/iso_duration.h"
#include "core/registration.h"
#include "core/reminder_policy.h"
#include "core/zone.h"
#include "fuzz_check.h"

namespace convene::core {
namespace {

void CheckRefusal(const absl::Status& status, absl::string_view prefix) {
  FUZZ_CHECK(status.code() == absl::StatusCode::kInvalidArgument,
             "unexpected status ", status.ToString());
  FUZZ_CHECK(absl::StartsWith(status.message(), prefix),
             "the message does not name a field under ", prefix, ": ",
             status.message());
}

// Mostly short texts, now and then one past the limits.
std::string ConsumeText(FuzzedDataProvider& in) {
  return in.ConsumeRandomLengthString(in.ConsumeBool() ? 16 : 300);
}

void FuzzParticipant(FuzzedDataProvider& in) {
  ParticipantInfo p;
  p.participant_id = ConsumeText(in);
  p.display_name = ConsumeText(in);
  p.email = ConsumeText(in);
  p.organisation = ConsumeText(in);
  p.city = ConsumeText(in);
  p.country_code = in.ConsumeRandomLengthString(3);
  p.time_zone =
      in.ConsumeBool()
          ? std::string(fuzz::kZones[in.ConsumeIntegralInRange<size_t>(
                0, std::size(fuzz::kZones) - 1)])
          : in.ConsumeRandomLengthString(40);
  p.language = in.ConsumeRandomLengthString(12);

  absl::StatusOr<ParticipantInfo> prepared = PrepareParticipant(p);
  if (!prepared.ok()) return CheckRefusal(prepared.status(), "participant.");
  // What Register stores passes the check by itself, and preparing it again
  // changes nothing.
  FUZZ_CHECK(ValidateParticipant(*prepared).ok(), "prepared a participant it refuses");
  absl::StatusOr<ParticipantInfo> again = PrepareParticipant(*prepared);
  FUZZ_CHECK(again.ok() && again->display_name == prepared->display_name &&
                 again->city == prepared->city &&
                 again->organisation == prepared->organisation &&
                 again->email == prepared->email,
             "preparing a prepared participant changed it");
  p = *std::move(prepared);
  for (const std::string* text : {&p.display_name, &p.organisation, &p.city}) {
    FUZZ_CHECK(!absl::StartsWith(*text, " ") && !absl::EndsWith(*text, " ") &&
                   !absl::StrContains(*text, "  "),
               "kept spaces around or a run of spaces in ", *text);
  }
  const auto id_char = [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
           absl::StrContains("._@-", c);
  };
  FUZZ_CHECK(!p.participant_id.empty() && p.participant_id.size() <= 128 &&
                 std::all_of(p.participant_id.begin(), p.participant_id.end(),
                             id_char),
             "accepted the participant id ", p.participant_id);
  FUZZ_CHECK(!p.display_name.empty() && fuzz::WithinChars(p.display_name, 200),
             "accepted a display name of ", p.display_name.size(), " bytes");
  FUZZ_CHECK(fuzz::WithinChars(p.email, 254) && fuzz::WithinChars(p.organisation, 200) &&
                 fuzz::WithinChars(p.city, 100),
             "accepted an over-long text");
  if (!p.email.empty()) {
    const size_t at = p.email.find('@');
    FUZZ_CHECK(at != std::string::npos && at > 0 && at + 1 < p.email.size() &&
                   p.email.find('@', at + 1) == std::string::npos &&
                   !absl::StrContains(p.email, ' '),
               "accepted the e-mail address ", p.email);
  }
  FUZZ_CHECK(p.country_code.empty() || p.country_code.size() == 2,
             "accepted the country code ", p.country_code);
  const size_t primary = p.language.find_first_of("-_");
  FUZZ_CHECK(p.language.empty() ||
                 (p.language.size() <= 35 &&
                  (primary == std::string::npos ? p.language.size() : primary) >= 2 &&
                  (primary == std::string::npos ? p.language.size() : primary) <= 3 &&
                  std::all_of(p.language.begin(), p.language.end(),
                              [](char c) {
                                return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                                       c == '-' || c == '_';
                              })),
             "accepted the language ", p.language);
  FUZZ_CHECK(p.time_zone.empty() || ResolveZone(p.time_zone).ok(),
             "accepted the zone ", p.time_zone);
}

void FuzzDayChoices(FuzzedDataProvider& in) {
  // Days close together, so that repeats are common.
  const absl::CivilDay base(in.ConsumeIntegralInRange(1, 9999), 1, 1);
  std::vector<DayChoice> days(in.ConsumeIntegralInRange(0, 12));
  for (DayChoice& d : days) {
    d.date = base + in.ConsumeIntegralInRange(0, 15);
    d.mode =
        in.ConsumeBool() ? AttendanceMode::kInPerson : AttendanceMode::kOnline;
  }
  size_t first_repeat = days.size();
  std::set<absl::CivilDay> seen;
  for (size_t i = 0; i < days.size() && first_repeat == days.size(); ++i) {
    if (!seen.insert(days[i].date).second) first_repeat = i;
  }
  const absl::Status status = ValidateDayChoices(days);
  if (first_repeat == days.size()) {
    FUZZ_CHECK(status.ok(),
               "refused days without repeats: ", status.ToString());
  } else {
    CheckRefusal(status, absl::StrCat("days[", first_repeat, "].date: "));
  }
}

absl::Duration ConsumeOffset(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0: {  // as the API receives it
      absl::StatusOr<absl::Duration> d = ParseIsoDuration(
          in.ConsumeRandomLengthString(16), NegativeDuration::kAllow);
      return d.ok() ? *d : absl::Hours(1);
    }
    case 1:  // around the bounds, in whole seconds
      return absl::Seconds(
          in.ConsumeIntegralInRange<int64_t>(-2, 90 * 24 * 3600 + 2));
    case 2:  // any finite value
      return absl::Nanoseconds(in.ConsumeIntegral<int64_t>());
    case 3:
      return absl::Seconds(in.ConsumeIntegral<int64_t>());
    default:
      return in.ConsumeBool() ? absl::InfiniteDuration()
                              : -absl::InfiniteDuration();
  }
}

// Whether `offsets` keep the stated bounds.
bool WithinBounds(const std::vector<absl::Duration>& offsets) {
  if (offsets.size() > static_cast<size_t>(kMaxRemindersPerList)) return false;
  std::set<int64_t> seen;
  for (absl::Duration d : offsets) {
    if (d <= absl::ZeroDuration() || d > kMaxReminderOffset) return false;
    if (d != absl::Seconds(absl::ToInt64Seconds(d))) return false;
    if (!seen.insert(absl::ToInt64Seconds(d)).second) return false;
  }
  return true;
}

void FuzzReminderPolicy(FuzzedDataProvider& in) {
  ReminderPolicy policy;
  policy.event_id = in.ConsumeRandomLengthString(8);
  for (std::vector<absl::Duration>* list :
       {&policy.before_event, &policy.before_each_day}) {
    list->resize(in.ConsumeIntegralInRange(0, kMaxRemindersPerList + 2));
    for (absl::Duration& d : *list) d = ConsumeOffset(in);
  }
  const bool valid = !policy.event_id.empty() &&
                     WithinBounds(policy.before_event) &&
                     WithinBounds(policy.before_each_day);
  const absl::Status status = ValidateReminderPolicy(policy);
  if (valid) {
    FUZZ_CHECK(status.ok(),
               "refused a policy within bounds: ", status.ToString());
  } else {
    CheckRefusal(status, "policy.");
  }
}

}  // namespace
}  // namespace convene::core

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  FuzzedDataProvider in(data + 1, size - 1);
  switch (data[0] % 3) {
    case 0:
      convene::core::FuzzParticipant(in);
      break;
    case 1:
      convene::core::FuzzDayChoices(in);
      break;
    default:
      convene::core::FuzzReminderPolicy(in);
      break;
  }
  return 0;
}
