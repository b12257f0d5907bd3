// Conversions between google.protobuf.Timestamp and absl::Time, shared by
// every service's mapping layer.
//
//   *event.mutable_start_time() = rpc::TimeToProto(start);
#ifndef CONVENE_RPC_PROTO_TIME_H_
#define CONVENE_RPC_PROTO_TIME_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/message.h"
#include "google/protobuf/timestamp.pb.h"

namespace convene::rpc {

// Every Timestamp and Duration in `request`, checked in one place before a
// handler reads any of them: a Timestamp must lie in RFC 3339's years
// (0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z) with 0 <= nanos < 1e9; a
// Duration within +-10,000 years with |nanos| < 1e9 and both parts of one
// sign. INVALID_ARGUMENT naming the field's path ("occurred_time.nanos").
absl::Status CheckTimes(const google::protobuf::Message& request);

// The instant a Timestamp names (CheckTimes() has vetted incoming ones).
absl::Time TimeFromProto(const google::protobuf::Timestamp& ts);
// `t` as a Timestamp; infinite past/future become the unset (zero) value.
google::protobuf::Timestamp TimeToProto(absl::Time t);

// The length a Duration names (its parts may have either sign; protobuf
// requires them to agree, and this does not check it).
absl::Duration DurationFromProto(const google::protobuf::Duration& d);
// `d` as a Duration, to the nanosecond; infinite durations become zero.
google::protobuf::Duration DurationToProto(absl::Duration d);

}  // namespace convene::rpc

#endif  // CONVENE_RPC_PROTO_TIME_H_
