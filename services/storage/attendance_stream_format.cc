#include "storage/attendance_stream_format.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/local_date_time.h"

namespace convene::storage {

absl::StatusOr<core::AttendanceMode> ParseStoredMode(absl::string_view name) {
  if (name == "in_person") return core::AttendanceMode::kInPerson;
  if (name == "online") return core::AttendanceMode::kOnline;
  return absl::DataLossError(absl::StrCat("unknown stored mode ", name));
}

absl::StatusOr<core::RegistrationStatus> ParseStoredStatus(absl::string_view name) {
  if (name == "confirmed") return core::RegistrationStatus::kConfirmed;
  if (name == "waitlisted") return core::RegistrationStatus::kWaitlisted;
  if (name == "cancelled") return core::RegistrationStatus::kCancelled;
  return absl::DataLossError(absl::StrCat("unknown stored status ", name));
}

core::CheckInSource ParseStoredSource(absl::string_view name) {
  if (name == "badge") return core::CheckInSource::kBadge;
  if (name == "online_join") return core::CheckInSource::kOnlineJoin;
  if (name == "online_leave") return core::CheckInSource::kOnlineLeave;
  return core::CheckInSource::kDesk;
}

absl::StatusOr<std::vector<core::RegistrationDay>> ParseStoredDays(absl::string_view text) {
  std::vector<core::RegistrationDay> days;
  for (absl::string_view item : absl::StrSplit(text, ';', absl::SkipEmpty())) {
    std::vector<absl::string_view> p = absl::StrSplit(item, '=');
    if (p.size() != 3 && p.size() != 4) {
      return absl::DataLossError("malformed stored days");
    }
    core::RegistrationDay d;
    absl::StatusOr<absl::CivilDay> date = core::ParseLocalDate(p[0], "days");
    absl::StatusOr<core::AttendanceMode> mode = ParseStoredMode(p[1]);
    absl::StatusOr<core::RegistrationStatus> status = ParseStoredStatus(p[2]);
    if (!date.ok() || !mode.ok() || !status.ok() ||
        (p.size() == 4 && !absl::SimpleAtoi(p[3], &d.waitlist_position))) {
      return absl::DataLossError("malformed stored days");
    }
    d.date = *date;
    d.mode = *mode;
    d.status = *status;
    days.push_back(d);
  }
  return days;
}

}  // namespace convene::storage
