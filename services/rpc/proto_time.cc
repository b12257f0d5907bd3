#include "rpc/proto_time.h"

#include <cstdint>

namespace convene::rpc {

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
