#include "core/text_limits.h"

#include "absl/strings/str_cat.h"
#include "core/internal/field_error.h"

namespace convene::core {

size_t CharCount(absl::string_view utf8) {
  size_t count = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

absl::Status CheckTextLength(absl::string_view field, absl::string_view value, int max_chars,
                             bool required) {
  if (required && value.empty()) return internal::FieldError(field, "is required");
  // Bytes bound characters from above: most texts need no count.
  if (value.size() <= static_cast<size_t>(max_chars)) return absl::OkStatus();
  if (const size_t chars = CharCount(value); chars > static_cast<size_t>(max_chars)) {
    return internal::FieldError(field, absl::StrCat("is ", chars, " characters long; at most ",
                                                    max_chars, " are allowed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> ResolvePageSize(int requested, int default_size, int max) {
  if (requested < 0 || requested > max) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", requested, " is outside 0..",
                                                   max, " (0: ", default_size, ")"));
  }
  return requested == 0 ? default_size : requested;
}

}  // namespace convene::core
