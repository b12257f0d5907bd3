// The sign-in sheet EU-funded projects hand to their funder: one row per
// registration, with each day's mode, status and first check-in time at the
// venue, as RFC 4180 CSV.
//
//   std::string csv = BuildSignInSheet(sheet, venue_zone, registrations,
//   times);
#ifndef CONVENE_CORE_SIGN_IN_SHEET_H_
#define CONVENE_CORE_SIGN_IN_SHEET_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/event_sheet.h"
#include "core/registration.h"
#include "core/zone.h"

namespace convene::core {

// First check-in per (participant id, day), any mode, day or session.
using FirstCheckIns =
    std::map<std::pair<std::string, absl::CivilDay>, absl::Time>;

// Columns: participant_id, name, organisation, city, country, walk_in, then
// per event day "<date> mode", "<date> status", "<date> check-in" (venue
// local time HH:MM, empty if absent), "<date> check-in date" (its venue
// local date) and "<date> check-in zone" ("Europe/Athens +02:00"). Cells that a spreadsheet would read as
// a formula (= + - @ at the start) are prefixed with an apostrophe.
std::string BuildSignInSheet(const EventSheet& sheet, const Zone& venue,
                             const std::vector<Registration>& registrations,
                             const FirstCheckIns& first_check_ins);

// One CSV cell, quoted when needed (RFC 4180) and defused against formulas.
std::string CsvCell(absl::string_view text);

}  // namespace convene::core

#endif  // CONVENE_CORE_SIGN_IN_SHEET_H_
