// The two limits every request field has, defined once: how long a text
// may be, counted in characters (Unicode code points, as the proto's
// "chars" says; the wire carries UTF-8, which protobuf has checked), and
// how large a page may be.
//
//   if (absl::Status s = CheckTextLength("event.title", title, 200, true); !s.ok())
//     return s;   // "event.title: is 201 characters long; at most 200 are allowed"
//   absl::StatusOr<int> size = ResolvePageSize(request.page_size(), 50, 500);
//
// Every limit the proto gives in "chars" is checked here, never with
// string::size(), which counts bytes.
#ifndef CONVENE_CORE_TEXT_LIMITS_H_
#define CONVENE_CORE_TEXT_LIMITS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convene::core {

// Whether `text` is well-formed UTF-8 (no stray or missing continuation
// bytes, no overlong forms, no surrogates, nothing past U+10FFFF).
bool IsValidUtf8(absl::string_view text);

// Code points in `utf8` (bytes that do not continue a sequence).
size_t CharCount(absl::string_view utf8);

// INVALID_ARGUMENT naming `field` when `value` is not valid UTF-8, longer
// than `max_chars` characters, or empty while `required`.
absl::Status CheckTextLength(absl::string_view field, absl::string_view value, int max_chars,
                             bool required = false);

// CheckTextLength for a text with a minimum: INVALID_ARGUMENT naming
// `field` also when it has fewer than `min_chars` characters.
absl::Status CheckTextLengthBetween(absl::string_view field, absl::string_view value,
                                    int min_chars, int max_chars);

// INVALID_ARGUMENT naming `field` when `value` holds a control character:
// C0 (tab, CR and LF included), DEL, C1 (NEL among them) or the line and
// paragraph separators U+2028/U+2029. The one rule for the texts that name
// a person or group (a participant's name, organisation and city, an
// organiser contact's name): they end up in mail headers, CSV rows and
// one-line lists, where any of these would start a new line.
absl::Status CheckNoControlCharacters(absl::string_view field, absl::string_view value);

// The most characters of a write's idempotency key.
inline constexpr int kMaxRequestId = 128;

// A write's request_id: 1 to kMaxRequestId characters, INVALID_ARGUMENT
// naming "request_id" otherwise.
absl::Status CheckRequestId(absl::string_view request_id);

// A page size as requested: 0 means `default_size`; below 0 or above `max`
// is INVALID_ARGUMENT naming "page_size" (refused, never cut).
absl::StatusOr<int> ResolvePageSize(int requested, int default_size, int max);

}  // namespace convene::core

#endif  // CONVENE_CORE_TEXT_LIMITS_H_
