#include "core/sign_in_sheet.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "core/local_date_time.h"
#include "core/zoned_rendering.h"

namespace convene::core {

std::string CsvCell(absl::string_view text) {
  std::string cell(text);
  if (!cell.empty() &&
      (cell[0] == '=' || cell[0] == '+' || cell[0] == '-' || cell[0] == '@')) {
    cell.insert(0, "'");
  }
  if (cell.find_first_of(",\"\r\n") != std::string::npos) {
    cell =
        absl::StrCat("\"", absl::StrReplaceAll(cell, {{"\"", "\"\""}}), "\"");
  }
  return cell;
}

std::string BuildSignInSheet(const EventSheet& sheet, const Zone& venue,
                             const std::vector<Registration>& registrations,
                             const FirstCheckIns& first_check_ins) {
  std::vector<std::string> header = {
      "participant_id", "name", "organisation", "city", "country", "walk_in"};
  for (const absl::CivilDay& d : sheet.days) {
    const std::string date = FormatLocalDate(d);
    header.push_back(absl::StrCat(date, " mode"));
    header.push_back(absl::StrCat(date, " status"));
    header.push_back(absl::StrCat(date, " check-in"));
    header.push_back(absl::StrCat(date, " check-in date"));
    header.push_back(absl::StrCat(date, " check-in zone"));
  }
  std::string out = absl::StrCat(absl::StrJoin(header, ","), "\r\n");
  for (const Registration& r : registrations) {
    const ParticipantInfo& p = r.participant;
    std::vector<std::string> row = {
        CsvCell(p.participant_id), CsvCell(p.display_name),
        CsvCell(p.organisation),   CsvCell(p.city),
        CsvCell(p.country_code),   r.walk_in ? "yes" : "no"};
    for (const absl::CivilDay& d : sheet.days) {
      std::string mode, status, checked_in, checked_in_date, checked_in_zone;
      for (const RegistrationDay& rd : r.days) {
        if (rd.date != d) continue;
        mode = rd.mode == AttendanceMode::kOnline ? "online" : "in person";
        status = rd.status == RegistrationStatus::kConfirmed    ? "confirmed"
                 : rd.status == RegistrationStatus::kWaitlisted ? "waitlisted"
                                                                : "cancelled";
      }
      auto it = first_check_ins.find({p.participant_id, d});
      if (it != first_check_ins.end()) {
        // The date beside the time: a check-in recorded late at night (or
        // a session past midnight) falls on another local date than the
        // day it counts for.
        const ZonedTime at = ToZoned(venue, it->second);
        const std::string local = FormatLocalDateTime(at.local);
        checked_in = local.substr(11, 5);
        checked_in_date = local.substr(0, 10);
        checked_in_zone =
            absl::StrCat(sheet.time_zone, " ", FormatUtcOffset(at.utc_offset));
      }
      row.push_back(mode);
      row.push_back(status);
      row.push_back(checked_in);
      row.push_back(checked_in_date);
      row.push_back(CsvCell(checked_in_zone));
    }
    absl::StrAppend(&out, absl::StrJoin(row, ","), "\r\n");
  }
  return out;
}

}  // namespace convene::core
