#include "core/text_limits.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "core/internal/field_error.h"

namespace convene::core {

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
      ++i;
      continue;
    }
    int more;
    uint32_t point;
    if (lead >= 0xC2 && lead <= 0xDF) {
      more = 1, point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      more = 2, point = lead & 0x0F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      more = 3, point = lead & 0x07;
    } else {
      return false;  // a stray continuation byte, an overlong lead, or past U+10FFFF
    }
    if (text.size() - i <= static_cast<size_t>(more)) return false;
    for (int k = 1; k <= more; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      point = (point << 6) | (next & 0x3F);
    }
    if ((more == 2 && point < 0x800) || (more == 3 && (point < 0x10000 || point > 0x10FFFF)) ||
        (point >= 0xD800 && point <= 0xDFFF)) {
      return false;  // overlong, out of range, or a surrogate
    }
    i += more + 1;
  }
  return true;
}

size_t CharCount(absl::string_view utf8) {
  size_t count = 0;
  for (char c : utf8) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
  }
  return count;
}

absl::Status CheckNoControlCharacters(absl::string_view field, absl::string_view value) {
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    const unsigned char next = i + 1 < value.size() ? static_cast<unsigned char>(value[i + 1]) : 0;
    const unsigned char third = i + 2 < value.size() ? static_cast<unsigned char>(value[i + 2]) : 0;
    const bool c0_or_del = c < 0x20 || c == 0x7f;
    const bool c1 = c == 0xC2 && next >= 0x80 && next <= 0x9F;
    const bool separator = c == 0xE2 && next == 0x80 && (third == 0xA8 || third == 0xA9);
    if (c0_or_del || c1 || separator) {
      return internal::FieldError(field, "must not contain control characters");
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTextLength(absl::string_view field, absl::string_view value, int max_chars,
                             bool required) {
  return CheckTextLengthBetween(field, value, required ? 1 : 0, max_chars);
}

absl::Status CheckTextLengthBetween(absl::string_view field, absl::string_view value,
                                    int min_chars, int max_chars) {
  if (min_chars > 0 && value.empty()) return internal::FieldError(field, "is required");
  // Protobuf checks the UTF-8 of every string it parses; core checks again
  // for callers that are not a gRPC request.
  if (!IsValidUtf8(value)) return internal::FieldError(field, "is not valid UTF-8");
  // Bytes bound characters from above: most texts need no count.
  if (value.size() <= static_cast<size_t>(max_chars) && min_chars <= 1) {
    return absl::OkStatus();
  }
  const size_t chars = CharCount(value);
  if (chars > static_cast<size_t>(max_chars)) {
    return internal::FieldError(field, absl::StrCat("is ", chars, " characters long; at most ",
                                                    max_chars, " are allowed"));
  }
  if (chars < static_cast<size_t>(std::max(min_chars, 0))) {
    return internal::FieldError(field, absl::StrCat("is ", chars, " characters long; at least ",
                                                    min_chars, " are required"));
  }
  return absl::OkStatus();
}

absl::Status CheckRequestId(absl::string_view request_id) {
  return CheckTextLength("request_id", request_id, kMaxRequestId, /*required=*/true);
}

absl::StatusOr<int> ResolvePageSize(int requested, int default_size, int max) {
  if (requested < 0 || requested > max) {
    return absl::InvalidArgumentError(absl::StrCat("page_size: ", requested, " is outside 0..",
                                                   max, " (0: ", default_size, ")"));
  }
  return requested == 0 ? default_size : requested;
}

}  // namespace convene::core
