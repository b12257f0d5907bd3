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

absl::string_view StoredModeName(core::AttendanceMode mode) {
  return mode == core::AttendanceMode::kOnline ? "online" : "in_person";
}

absl::string_view StoredStatusName(core::RegistrationStatus status) {
  switch (status) {
    case core::RegistrationStatus::kConfirmed:
      return "confirmed";
    case core::RegistrationStatus::kWaitlisted:
      return "waitlisted";
    case core::RegistrationStatus::kCancelled:
      return "cancelled";
  }
  return "cancelled";
}

std::string FormatStoredDays(const std::vector<core::RegistrationDay>& days) {
  std::string text;
  for (const core::RegistrationDay& d : days) {
    if (!text.empty()) text += ';';
    absl::StrAppend(&text, absl::FormatCivilTime(d.date), "=", StoredModeName(d.mode), "=",
                    StoredStatusName(d.status));
    if (d.waitlist_position > 0) absl::StrAppend(&text, "=", d.waitlist_position);
  }
  return text;
}

absl::string_view StoredSourceName(core::CheckInSource source) {
  switch (source) {
    case core::CheckInSource::kDesk:
      return "desk";
    case core::CheckInSource::kBadge:
      return "badge";
    case core::CheckInSource::kOnlineJoin:
      return "online_join";
    case core::CheckInSource::kOnlineLeave:
      return "online_leave";
  }
  return "desk";
}

}  // namespace convene::storage
