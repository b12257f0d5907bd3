// Fuzzes the strict iCalendar reader (ParseICalendar) and the TEXT and
// DATE-TIME helpers around it, on arbitrary bytes. Promises checked:
// - ParseICalendar() never crashes and refuses with INVALID_ARGUMENT
//   "line N: ..."; what it accepts is a tree of VCALENDARs at most
//   ICalendarLimits::kMaxDepth deep, with upper-cased names;
// - every DATE-TIME the tree holds resolves or is refused with
//   INVALID_ARGUMENT (unknown TZIDs, floating times, malformed values);
// - TEXT escaping: the escape of any bytes fits in a content line that
//   ParseICalendar() reads back unchanged, and unescaping it gives the input
//   back whenever the input is UTF-8 without control characters but tab and
//   LF.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/icalendar.h"
#include "fuzz_check.h"

namespace convene::core {
namespace {

bool IsUpperName(absl::string_view name) {
  for (char c : name) {
    if (absl::ascii_islower(static_cast<unsigned char>(c))) return false;
  }
  return !name.empty();
}

void CheckComponent(const ICalendarComponent& c, int depth) {
  FUZZ_CHECK(depth <= ICalendarLimits::kMaxDepth, "nested ", depth, " deep");
  FUZZ_CHECK(IsUpperName(c.name) && c.line >= 1, "component \"", c.name,
             "\" of line ", c.line);
  for (const ICalendarProperty& p : c.properties) {
    FUZZ_CHECK(IsUpperName(p.name) && p.line > c.line, "property \"", p.name,
               "\" of line ", p.line);
    FUZZ_CHECK(c.Property(p.name) != nullptr, "Property(", p.name,
               ") finds nothing");
    for (const ICalendarParameter& param : p.parameters) {
      FUZZ_CHECK(IsUpperName(param.name), "parameter \"", param.name, "\"");
    }
    // Whatever the value, these answer without crashing.
    (void)UnescapeICalendarText(p.value);
    if (absl::StartsWith(p.name, "DT") || p.name == "RECURRENCE-ID") {
      const std::string* tzid = p.Param("TZID");
      const absl::StatusOr<absl::Time> instant = ResolveICalendarDateTime(
          p.value, tzid != nullptr ? *tzid : absl::string_view());
      FUZZ_CHECK(instant.ok() || instant.status().code() ==
                                     absl::StatusCode::kInvalidArgument,
                 p.name, ": ", instant.status().ToString());
    }
  }
  for (const ICalendarComponent& sub : c.components) {
    FUZZ_CHECK(sub.line > c.line, "a sub-component begins before its parent");
    CheckComponent(sub, depth + 1);
  }
}

void FuzzParse(absl::string_view text) {
  const absl::StatusOr<std::vector<ICalendarComponent>> parsed =
      ParseICalendar(text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.status().code() == absl::StatusCode::kInvalidArgument &&
                   absl::StartsWith(parsed.status().message(), "line "),
               "unexpected status ", parsed.status().ToString());
    return;
  }
  FUZZ_CHECK(!parsed->empty(), "accepted an input without a calendar");
  for (const ICalendarComponent& calendar : *parsed) {
    FUZZ_CHECK(calendar.name == "VCALENDAR", "top-level ", calendar.name);
    CheckComponent(calendar, 1);
  }
}

// Whether `text` is well-formed UTF-8 (RFC 3629: shortest forms, no
// surrogates, nothing above U+10FFFF), decoded independently of the core.
bool IsUtf8(absl::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const auto b = static_cast<unsigned char>(text[i]);
    const size_t len = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    if ((b >= 0x80 && b < 0xC0) || b > 0xF7 || i + len > text.size()) {
      return false;
    }
    uint32_t code_point = len == 1 ? b : b & (0x7F >> len);
    for (size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(text[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      code_point = code_point << 6 | (c & 0x3F);
    }
    constexpr uint32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kSmallest[len] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

// UTF-8 without control characters other than tab and LF: the text that
// escaping keeps as it is.
bool SurvivesEscaping(absl::string_view text) {
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t' && c != '\n') || u == 0x7F) return false;
  }
  return IsUtf8(text);
}

void FuzzText(absl::string_view text) {
  const std::string escaped = EscapeICalendarText(text);
  if (escaped.size() > ICalendarLimits::kMaxContentLine - 16) return;
  const absl::StatusOr<std::vector<ICalendarComponent>> parsed =
      ParseICalendar(absl::StrCat("BEGIN:VCALENDAR\r\nX-TEXT:", escaped,
                                  "\r\nEND:VCALENDAR\r\n"));
  FUZZ_CHECK(parsed.ok(), "the escaped text is not a valid value: ",
             parsed.status().ToString());
  const ICalendarProperty* property = parsed->front().Property("X-TEXT");
  FUZZ_CHECK(property != nullptr && property->value == escaped,
             "the escaped text does not read back");
  const absl::StatusOr<std::string> unescaped = UnescapeICalendarText(escaped);
  FUZZ_CHECK(unescaped.ok(), "the escaped text does not unescape: ",
             unescaped.status().ToString());
  if (SurvivesEscaping(text)) {
    FUZZ_CHECK(*unescaped == text, "unescaping does not give the text back");
  }
}

}  // namespace
}  // namespace convene::core

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view text(reinterpret_cast<const char*>(data), size);
  convene::core::FuzzParse(text);
  convene::core::FuzzText(text);
  return 0;
}
