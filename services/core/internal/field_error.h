// Helpers the core .cc files share to build INVALID_ARGUMENT messages.
// Internal: not part of convene::core's public API.
//
//   return internal::FieldError(field, absl::StrCat("unknown time zone ",
//                                                   internal::Quote(name)));
//   // -> INVALID_ARGUMENT "event.zone: unknown time zone \"Europe/Bruxelles\""

#ifndef CONVENE_SERVICES_CORE_INTERNAL_FIELD_ERROR_H_
#define CONVENE_SERVICES_CORE_INTERNAL_FIELD_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace convene::core::internal {

// INVALID_ARGUMENT with message "field: message", or "message" if `field` is
// empty.
absl::Status FieldError(absl::string_view field, absl::string_view message);

// `text` in double quotes, C-escaped and cut to 64 bytes (then "..."), so
// echoing user input keeps the message on one line and short.
std::string Quote(absl::string_view text);

}  // namespace convene::core::internal

#endif  // CONVENE_SERVICES_CORE_INTERNAL_FIELD_ERROR_H_
