#include "rpc/request_enums.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace convene::rpc {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

absl::Status CheckMessage(const Message& m, const std::string& prefix, int depth) {
  if (depth > 8) return absl::OkStatus();  // The API nests far less.
  const auto* reflection = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);  // Only fields that are set: 0 is always named.
  for (const FieldDescriptor* f : fields) {
    const bool is_enum = f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM;
    if (!is_enum && (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_map())) continue;
    const std::string name = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    const int count = f->is_repeated() ? reflection->FieldSize(m, f) : 1;
    for (int i = 0; i < count; ++i) {
      const std::string path = f->is_repeated() ? absl::StrCat(name, "[", i, "]") : name;
      if (is_enum) {
        const int value = f->is_repeated() ? reflection->GetRepeatedEnumValue(m, f, i)
                                           : reflection->GetEnumValue(m, f);
        if (f->enum_type()->FindValueByNumber(value) == nullptr) {
          return UnknownEnumValue(path, value);
        }
        continue;
      }
      const Message& child = f->is_repeated() ? reflection->GetRepeatedMessage(m, f, i)
                                              : reflection->GetMessage(m, f);
      if (absl::Status s = CheckMessage(child, path, depth + 1); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckEnums(const Message& request) { return CheckMessage(request, "", 0); }

absl::Status UnknownEnumValue(absl::string_view field, int value) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown value ", value));
}

}  // namespace convene::rpc
