#include "core/internal/field_error.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace convene::core::internal {

absl::Status FieldError(absl::string_view field, absl::string_view message) {
  if (field.empty()) return absl::InvalidArgumentError(message);
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", message));
}

std::string Quote(absl::string_view text) {
  // Bounded so that a megabyte of garbage in a request cannot become a
  // megabyte of error message (and of log line).
  constexpr size_t kMaxQuoted = 64;
  if (text.size() <= kMaxQuoted) {
    return absl::StrCat("\"", absl::CHexEscape(text), "\"");
  }
  return absl::StrCat("\"", absl::CHexEscape(text.substr(0, kMaxQuoted)),
                      "...\"");
}

}  // namespace convene::core::internal
