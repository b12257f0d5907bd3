#include "core/local_date_time.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/internal/field_error.h"
#include "core/zone_rules.h"

namespace convene::core {
namespace {

constexpr absl::string_view kDateTimeForms =
    "expected YYYY-MM-DDThh:mm or YYYY-MM-DDThh:mm:ss";
constexpr absl::string_view kDateForm = "expected YYYY-MM-DD";

// Parsing by hand rather than with absl::ParseCivilTime or date::parse: both
// accept more than the API allows (signs, spaces, missing leading zeros,
// normalised dates such as Feb 30), and date::parse trips a false GCC 12
// warning.

// The value of `text` if it is all ASCII digits, else -1.
int Digits(absl::string_view text) {
  if (text.empty()) return -1;
  int value = 0;
  for (char c : text) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return -1;
    value = value * 10 + (c - '0');
  }
  return value;
}

// Checks the "YYYY-MM-DD" at the start of `text`. Returns an empty string
// and sets `*day` if it is a real date, else the reason it is not.
std::string ReadDate(absl::string_view text, absl::string_view shape_error,
                     absl::CivilDay* day) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') {
    return std::string(shape_error);
  }
  const int year = Digits(text.substr(0, 4));
  const int month = Digits(text.substr(5, 2));
  const int mday = Digits(text.substr(8, 2));
  if (year < 0 || month < 0 || mday < 0) return std::string(shape_error);
  if (year < kFirstScheduledYear || year > kLastScheduledYear) {
    return absl::StrFormat("year %04d is outside the supported years %d..%d", year,
                           kFirstScheduledYear, kLastScheduledYear);
  }
  if (month < 1 || month > 12) {
    return absl::StrFormat("month %02d is out of range 01..12", month);
  }
  // CivilDay normalises (Feb 30 -> Mar 2): a changed month means no such day.
  const absl::CivilDay normalized(year, month, mday);
  if (mday < 1 || normalized.month() != month) {
    return absl::StrFormat("%04d-%02d has no day %02d", year, month, mday);
  }
  *day = normalized;
  return "";
}

// The reason `rest`, the text after a complete time, is not empty.
std::string TrailingProblem(absl::string_view rest, bool has_seconds) {
  if (rest[0] == 'Z' || rest[0] == 'z' || rest[0] == '+' || rest[0] == '-') {
    return absl::StrCat(
        "local times carry no UTC offset (found ", internal::Quote(rest),
        "); send the wall-clock time and name the zone separately");
  }
  if (rest[0] == '.' || rest[0] == ',') {
    return has_seconds ? "fractional seconds are not supported"
                       : std::string(kDateTimeForms);
  }
  if (rest[0] == ':' && !has_seconds) return std::string(kDateTimeForms);
  return absl::StrCat("unexpected characters ", internal::Quote(rest),
                      " after the time");
}

std::string ReadDateTime(absl::string_view text, absl::CivilSecond* out) {
  absl::CivilDay day;
  if (std::string problem = ReadDate(text, kDateTimeForms, &day);
      !problem.empty()) {
    return problem;
  }
  if (text.size() == 10) {
    return absl::StrCat("the time of day is missing; ", kDateTimeForms);
  }
  if (text[10] != 'T') {
    return absl::StrCat("expected 'T' between date and time, found ",
                        internal::Quote(text.substr(10, 1)));
  }
  absl::string_view time = text.substr(11);
  if (time.size() < 5 || time[2] != ':') return std::string(kDateTimeForms);
  const int hour = Digits(time.substr(0, 2));
  const int minute = Digits(time.substr(3, 2));
  if (hour < 0 || minute < 0) return std::string(kDateTimeForms);
  int second = 0;
  bool has_seconds = false;
  if (time.size() >= 8 && time[5] == ':') {
    second = Digits(time.substr(6, 2));
    if (second < 0) return std::string(kDateTimeForms);
    has_seconds = true;
  }
  if (absl::string_view rest = time.substr(has_seconds ? 8 : 5);
      !rest.empty()) {
    return TrailingProblem(rest, has_seconds);
  }
  if (hour == 24) {
    return "24:00 is not a valid time here; use 00:00 of the next day";
  }
  if (hour > 23)
    return absl::StrFormat("hour %02d is out of range 00..23", hour);
  if (minute > 59) {
    return absl::StrFormat("minute %02d is out of range 00..59", minute);
  }
  if (second == 60) return "leap seconds (second 60) are not supported";
  if (second > 59) {
    return absl::StrFormat("second %02d is out of range 00..59", second);
  }
  *out = absl::CivilSecond(day.year(), day.month(), day.day(), hour, minute,
                           second);
  return "";
}

}  // namespace

absl::StatusOr<absl::CivilSecond> ParseLocalDateTime(absl::string_view text,
                                                     absl::string_view field) {
  absl::CivilSecond local;
  if (std::string problem = ReadDateTime(text, &local); !problem.empty()) {
    return internal::FieldError(
        field, absl::StrCat("invalid local date-time ", internal::Quote(text),
                            ": ", problem));
  }
  return local;
}

absl::StatusOr<absl::CivilDay> ParseLocalDate(absl::string_view text,
                                              absl::string_view field) {
  absl::CivilDay day;
  std::string problem = ReadDate(text, kDateForm, &day);
  if (problem.empty() && text.size() != 10) {
    problem = text[10] == 'T' ? "expected a date without a time of day"
                              : absl::StrCat("unexpected characters ",
                                             internal::Quote(text.substr(10)),
                                             " after the date");
  }
  if (!problem.empty()) {
    return internal::FieldError(
        field, absl::StrCat("invalid local date ", internal::Quote(text), ": ",
                            problem));
  }
  return day;
}

std::string FormatLocalDateTime(absl::CivilSecond local) {
  std::string text =
      absl::StrFormat("%04d-%02d-%02dT%02d:%02d", local.year(), local.month(),
                      local.day(), local.hour(), local.minute());
  if (local.second() != 0)
    absl::StrAppendFormat(&text, ":%02d", local.second());
  return text;
}

std::string FormatLocalDate(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

}  // namespace convene::core
