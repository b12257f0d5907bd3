// Wire enums are closed sets in Convene: a number the .proto does not name
// (from a newer or a broken client) is refused, never mapped to a default.
// Every request has had rpc::CheckRequestFields before its handler runs; this is
// the same check, and the same message (rpc::UnknownEnumValue), for a
// message the mapping converts on its own (a stored document, a copy).
//
//   if (absl::Status s = CheckWireEnum("event.kind", w.kind(), v1::EventKind_IsValid);
//       !s.ok()) {
//     return s;  // INVALID_ARGUMENT "event.kind: unknown value 99"
//   }
#ifndef CONVENE_MAPPING_WIRE_ENUM_H_
#define CONVENE_MAPPING_WIRE_ENUM_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace convene::mapping {

// OK when `is_valid(value)` (the generated <Enum>_IsValid); otherwise
// INVALID_ARGUMENT "<field>: unknown value <value>".
absl::Status CheckWireEnum(absl::string_view field, int value, bool (*is_valid)(int));

}  // namespace convene::mapping

#endif  // CONVENE_MAPPING_WIRE_ENUM_H_
