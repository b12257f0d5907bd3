#include "core/registration.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/internal/field_error.h"
#include "core/language_tag.h"
#include "core/text_limits.h"
#include "core/local_date_time.h"
#include "core/mail_message.h"
#include "core/zone.h"

namespace convene::core {
namespace {

using internal::FieldError;

bool IsIdChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '_' || c == '@' || c == '-';
}

// Length in bytes of the space character `text` starts with (ASCII space,
// no-break space, the Unicode spaces U+2000-U+200A, U+202F, U+205F, U+3000,
// and U+FEFF, which pasted text carries), or 0.
size_t SpaceAt(absl::string_view text) {
  if (text.empty()) return 0;
  const auto b = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  if (b(0) == ' ') return 1;
  if (text.size() >= 2 && b(0) == 0xC2 && b(1) == 0xA0) return 2;
  if (text.size() < 3) return 0;
  if (b(0) == 0xE2 && b(1) == 0x80 && (b(2) <= 0x8A || b(2) == 0xAF)) return 3;
  if (b(0) == 0xE2 && b(1) == 0x81 && b(2) == 0x9F) return 3;
  if (b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return 3;
  if (b(0) == 0xEF && b(1) == 0xBB && b(2) == 0xBF) return 3;
  return 0;
}

// `text` without spaces at either end; with `collapse`, each run of spaces
// inside it becomes one ASCII space.
std::string Tidy(absl::string_view text, bool collapse) {
  std::string out;
  std::string spaces;  // the run of spaces read and not yet written
  for (size_t i = 0; i < text.size();) {
    if (const size_t n = SpaceAt(text.substr(i)); n > 0) {
      absl::StrAppend(&spaces, text.substr(i, n));
      i += n;
      continue;
    }
    if (!out.empty() && !spaces.empty()) {
      out.append(collapse ? std::string(" ") : spaces);
    }
    spaces.clear();
    out.push_back(text[i++]);
  }
  return out;
}

}  // namespace

absl::StatusOr<ParticipantInfo> PrepareParticipant(ParticipantInfo p) {
  p.display_name = Tidy(p.display_name, true);
  p.organisation = Tidy(p.organisation, true);
  p.city = Tidy(p.city, true);
  p.email = Tidy(p.email, false);
  if (absl::Status s = ValidateParticipant(p); !s.ok()) return s;
  return p;
}

absl::Status ValidateParticipant(const ParticipantInfo& p) {
  if (p.participant_id.empty()) {
    return FieldError("participant.participant_id", "is required");
  }
  if (static_cast<int>(p.participant_id.size()) > ParticipantLimits::kMaxId ||
      !std::all_of(p.participant_id.begin(), p.participant_id.end(),
                   IsIdChar)) {
    return FieldError("participant.participant_id",
                      "must be 1-128 characters of [A-Za-z0-9._@-]");
  }
  if (p.display_name.empty()) {
    return FieldError("participant.display_name", "is required");
  }
  struct Text {
    const char* field;
    const std::string& value;
    int max;
  };
  for (const Text& t :
       {Text{"participant.display_name", p.display_name,
             ParticipantLimits::kMaxName},
        Text{"participant.organisation", p.organisation,
             ParticipantLimits::kMaxName},
        Text{"participant.city", p.city, ParticipantLimits::kMaxShortText}}) {
    if (absl::Status s = CheckTextLength(t.field, t.value, t.max); !s.ok())
      return s;
    if (absl::Status s = CheckNoControlCharacters(t.field, t.value); !s.ok())
      return s;
  }
  if (!p.email.empty()) {
    if (absl::Status s = CheckTextLength("participant.email", p.email,
                                         ParticipantLimits::kMaxEmail);
        !s.ok()) {
      return s;
    }
    // The mail sender's own rule: an address it would refuse is refused
    // here, not found out when its first notice fails.
    if (absl::Status s = CheckMailAddress(p.email); !s.ok()) {
      return FieldError("participant.email",
                        absl::StrCat(internal::Quote(p.email), " ", s.message()));
    }
  }
  if (!p.country_code.empty() &&
      (p.country_code.size() != 2 ||
       !absl::ascii_isupper(static_cast<unsigned char>(p.country_code[0])) ||
       !absl::ascii_isupper(static_cast<unsigned char>(p.country_code[1])))) {
    return FieldError("participant.country_code",
                      "must be two upper-case letters (\"IT\")");
  }
  if (!p.time_zone.empty()) {
    absl::StatusOr<Zone> zone =
        ResolveZone(p.time_zone, "participant.time_zone");
    if (!zone.ok()) return zone.status();
  }
  if (absl::Status s = CheckLanguageTag(p.language, "participant.language");
      !s.ok()) {
    return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateDayChoices(const std::vector<DayChoice>& days) {
  std::set<absl::CivilDay> seen;
  for (size_t i = 0; i < days.size(); ++i) {
    if (!seen.insert(days[i].date).second) {
      return FieldError(
          absl::StrCat("days[", i, "].date"),
          absl::StrCat(FormatLocalDate(days[i].date), " is listed twice"));
    }
  }
  return absl::OkStatus();
}

RegistrationStatus OverallStatus(const std::vector<RegistrationDay>& days) {
  bool all_cancelled = !days.empty(), any_waitlisted = false;
  for (const RegistrationDay& d : days) {
    all_cancelled &= d.status == RegistrationStatus::kCancelled;
    any_waitlisted |= d.status == RegistrationStatus::kWaitlisted;
  }
  return all_cancelled    ? RegistrationStatus::kCancelled
         : any_waitlisted ? RegistrationStatus::kWaitlisted
                          : RegistrationStatus::kConfirmed;
}

}  // namespace convene::core
