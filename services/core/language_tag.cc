#include "core/language_tag.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/internal/field_error.h"

namespace convene::core {

absl::Status CheckLanguageTag(absl::string_view tag, absl::string_view field) {
  if (tag.empty()) return absl::OkStatus();
  auto refuse = [&](absl::string_view why) {
    return internal::FieldError(
        field, absl::StrCat(internal::Quote(tag), " ", why,
                            ": expected a BCP 47 language tag (\"it\", "
                            "\"it-IT\", \"el\")"));
  };
  if (static_cast<int>(tag.size()) > kMaxLanguageTagLength) {
    return refuse(absl::StrCat("is longer than ", kMaxLanguageTagLength,
                               " characters"));
  }
  const std::vector<absl::string_view> subtags =
      absl::StrSplit(tag, absl::ByAnyChar("-_"));
  const absl::string_view primary = subtags.front();
  if (primary.size() < 2 || primary.size() > 3) {
    return refuse("does not start with a 2- or 3-letter language code");
  }
  for (char c : primary) {
    if (!absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      return refuse("does not start with a 2- or 3-letter language code");
    }
  }
  for (size_t i = 1; i < subtags.size(); ++i) {
    const absl::string_view s = subtags[i];
    if (s.empty() || s.size() > 8) {
      return refuse("has a subtag that is empty or longer than 8 characters");
    }
    for (char c : s) {
      if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) {
        return refuse("has a character other than a letter, digit, - or _");
      }
    }
  }
  return absl::OkStatus();
}

std::string PrimaryLanguageOf(absl::string_view tag) {
  return absl::AsciiStrToLower(tag.substr(0, tag.find_first_of("-_")));
}

}  // namespace convene::core
