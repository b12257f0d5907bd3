#include "mapping/wire_enum.h"

#include "absl/strings/str_cat.h"

namespace convene::mapping {

absl::Status CheckWireEnum(absl::string_view field, int value, bool (*is_valid)(int)) {
  if (is_valid(value)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown value ", value));
}

}  // namespace convene::mapping
