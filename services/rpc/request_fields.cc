#include "rpc/request_fields.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace convene::rpc {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, as Unix seconds.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
// protobuf's Duration range: about 10,000 years.
constexpr int64_t kMaxDurationSeconds = 315576000000;
constexpr int32_t kNanosPerSecond = 1000000000;

// The way from the request to a field, one link per level on the stack: the
// path's text is built only for the field refused, so a valid request (every
// call) allocates nothing here.
struct Path {
  const Path* parent;
  const FieldDescriptor* field;
  int index;  // -1 for a singular field
};

void AppendPath(const Path* p, std::string& out) {
  if (p == nullptr) return;
  AppendPath(p->parent, out);
  if (!out.empty()) out += '.';
  out += p->field->name();
  if (p->index >= 0) absl::StrAppend(&out, "[", p->index, "]");
}

absl::Status Invalid(const Path& path, absl::string_view suffix, absl::string_view why) {
  std::string text;
  AppendPath(&path, text);
  return absl::InvalidArgumentError(absl::StrCat(text, suffix, ": ", why));
}

// The seconds and nanos of a Timestamp or Duration, read by reflection so
// that any message implementation works.
std::pair<int64_t, int32_t> SecondsAndNanos(const Message& m) {
  const Descriptor* d = m.GetDescriptor();
  return {m.GetReflection()->GetInt64(m, d->FindFieldByName("seconds")),
          m.GetReflection()->GetInt32(m, d->FindFieldByName("nanos"))};
}

absl::Status CheckTimestamp(const Message& ts, const Path& path) {
  const auto [seconds, nanos] = SecondsAndNanos(ts);
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return Invalid(path, ".seconds",
                   absl::StrCat(seconds, " is outside 0001-01-01T00:00:00Z..9999-12-31T23:59:59Z"));
  }
  if (nanos < 0 || nanos >= kNanosPerSecond) {
    return Invalid(path, ".nanos", absl::StrCat(nanos, " is outside 0..999999999"));
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(const Message& d, const Path& path) {
  const auto [seconds, nanos] = SecondsAndNanos(d);
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds) {
    return Invalid(path, ".seconds", absl::StrCat(seconds, " is beyond 10,000 years"));
  }
  if (nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond) {
    return Invalid(path, ".nanos", absl::StrCat(nanos, " is outside -999999999..999999999"));
  }
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    return Invalid(path, "", "seconds and nanos must have the same sign");
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& m, const Path* parent, int depth) {
  if (depth > 8) return absl::OkStatus();  // The API nests far less.
  static const Descriptor* const kTimestamp = google::protobuf::Timestamp::descriptor();
  static const Descriptor* const kDuration = google::protobuf::Duration::descriptor();
  const auto* reflection = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);  // Only fields that are set: 0 is always named.
  for (const FieldDescriptor* f : fields) {
    const bool is_enum = f->cpp_type() == FieldDescriptor::CPPTYPE_ENUM;
    if (!is_enum && (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_map())) continue;
    const int count = f->is_repeated() ? reflection->FieldSize(m, f) : 1;
    for (int i = 0; i < count; ++i) {
      const Path path{parent, f, f->is_repeated() ? i : -1};
      if (is_enum) {
        const int value = f->is_repeated() ? reflection->GetRepeatedEnumValue(m, f, i)
                                           : reflection->GetEnumValue(m, f);
        if (f->enum_type()->FindValueByNumber(value) == nullptr) {
          std::string text;
          AppendPath(&path, text);
          return UnknownEnumValue(text, value);
        }
        continue;
      }
      const Message& child = f->is_repeated() ? reflection->GetRepeatedMessage(m, f, i)
                                              : reflection->GetMessage(m, f);
      const Descriptor* type = f->message_type();
      absl::Status s = type == kTimestamp  ? CheckTimestamp(child, path)
                       : type == kDuration ? CheckDuration(child, path)
                                           : CheckMessage(child, &path, depth + 1);
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckRequestFields(const Message& request) { return CheckMessage(request, nullptr, 0); }

absl::Status UnknownEnumValue(absl::string_view field, int value) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown value ", value));
}

}  // namespace convene::rpc
