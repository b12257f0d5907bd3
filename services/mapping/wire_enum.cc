#include "mapping/wire_enum.h"

#include "rpc/request_fields.h"

namespace convene::mapping {

absl::Status CheckWireEnum(absl::string_view field, int value, bool (*is_valid)(int)) {
  if (is_valid(value)) return absl::OkStatus();
  return rpc::UnknownEnumValue(field, value);
}

}  // namespace convene::mapping
