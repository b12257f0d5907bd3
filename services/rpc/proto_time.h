// Conversions between google.protobuf.Timestamp and absl::Time, shared by
// every service's mapping layer.
//
//   *event.mutable_start_time() = rpc::TimeToProto(start);
#ifndef CONVENE_RPC_PROTO_TIME_H_
#define CONVENE_RPC_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace convene::rpc {

// The instant a Timestamp names (rpc::CheckRequestFields has vetted
// incoming ones).
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
