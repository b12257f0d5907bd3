#include "rpc/proto_time.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace convene::rpc {
namespace {

using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, as Unix seconds.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
// protobuf's Duration range: about 10,000 years.
constexpr int64_t kMaxDurationSeconds = 315576000000;
constexpr int32_t kNanosPerSecond = 1000000000;

absl::Status Invalid(const std::string& path, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", why));
}

// The seconds and nanos of a Timestamp or Duration, read by reflection so
// that any message implementation works.
std::pair<int64_t, int32_t> SecondsAndNanos(const Message& m) {
  const auto* d = m.GetDescriptor();
  return {m.GetReflection()->GetInt64(m, d->FindFieldByName("seconds")),
          m.GetReflection()->GetInt32(m, d->FindFieldByName("nanos"))};
}

absl::Status CheckTimestamp(const Message& ts, const std::string& path) {
  const auto [seconds, nanos] = SecondsAndNanos(ts);
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return Invalid(path + ".seconds", absl::StrCat(seconds, " is outside 0001-01-01T00:00:00Z..",
                                                   "9999-12-31T23:59:59Z"));
  }
  if (nanos < 0 || nanos >= kNanosPerSecond) {
    return Invalid(path + ".nanos", absl::StrCat(nanos, " is outside 0..999999999"));
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(const Message& d, const std::string& path) {
  const auto [seconds, nanos] = SecondsAndNanos(d);
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds) {
    return Invalid(path + ".seconds", absl::StrCat(seconds, " is beyond 10,000 years"));
  }
  if (nanos <= -kNanosPerSecond || nanos >= kNanosPerSecond) {
    return Invalid(path + ".nanos", absl::StrCat(nanos, " is outside -999999999..999999999"));
  }
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    return Invalid(path, "seconds and nanos must have the same sign");
  }
  return absl::OkStatus();
}

absl::Status CheckMessage(const Message& m, const std::string& prefix, int depth) {
  if (depth > 8) return absl::OkStatus();  // The API nests far less.
  const auto* reflection = m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection->ListFields(m, &fields);  // Only fields that are set.
  for (const FieldDescriptor* f : fields) {
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string name = prefix.empty() ? f->name() : absl::StrCat(prefix, ".", f->name());
    const int count = f->is_repeated() ? reflection->FieldSize(m, f) : 1;
    for (int i = 0; i < count; ++i) {
      const Message& child = f->is_repeated() ? reflection->GetRepeatedMessage(m, f, i)
                                              : reflection->GetMessage(m, f);
      const std::string path = f->is_repeated() ? absl::StrCat(name, "[", i, "]") : name;
      const std::string& type = f->message_type()->full_name();
      absl::Status s;
      if (type == google::protobuf::Timestamp::descriptor()->full_name()) {
        s = CheckTimestamp(child, path);
      } else if (type == google::protobuf::Duration::descriptor()->full_name()) {
        s = CheckDuration(child, path);
      } else if (!f->is_map()) {
        s = CheckMessage(child, path, depth + 1);
      }
      if (!s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckTimes(const Message& request) { return CheckMessage(request, "", 0); }

absl::Time TimeFromProto(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

google::protobuf::Timestamp TimeToProto(absl::Time t) {
  google::protobuf::Timestamp ts;
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) return ts;
  const int64_t ns = absl::ToUnixNanos(t);
  // Floor division: nanos must be in [0, 1e9) also before 1970.
  ts.set_seconds(ns >= 0 ? ns / 1000000000 : (ns - 999999999) / 1000000000);
  ts.set_nanos(static_cast<int32_t>(ns - ts.seconds() * 1000000000));
  return ts;
}

absl::Duration DurationFromProto(const google::protobuf::Duration& d) {
  return absl::Seconds(d.seconds()) + absl::Nanoseconds(d.nanos());
}

google::protobuf::Duration DurationToProto(absl::Duration d) {
  google::protobuf::Duration out;
  if (d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) return out;
  const int64_t ns = absl::ToInt64Nanoseconds(d);
  // Truncating division keeps both parts of the same sign, as protobuf wants.
  out.set_seconds(ns / 1000000000);
  out.set_nanos(static_cast<int32_t>(ns % 1000000000));
  return out;
}

}  // namespace convene::rpc
