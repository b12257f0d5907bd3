// Every request's fields that have a closed set of values, checked in one
// place before any handler reads them (auth::AdmitRequest runs it on every
// request), over every field the request carries, nested and repeated ones
// included:
//   - enums are closed sets in Convene: a number the .proto does not name
//     (from a newer or a broken client) is refused, never mapped to a
//     default nor taken as "any" by a filter;
//   - a Timestamp lies in RFC 3339's years (0001-01-01T00:00:00Z to
//     9999-12-31T23:59:59Z) with 0 <= nanos < 1e9;
//   - a Duration lies within +-10,000 years with |nanos| < 1e9 and both
//     parts of one sign.
// INVALID_ARGUMENT naming the first offending field by its path.
//
//   absl::Status s = rpc::CheckRequestFields(request);
//   // "policy.muted_notices[1]: unknown value 99"
//   // "occurred_time.nanos: 1000000000 is outside 0..999999999"
#ifndef CONVENE_RPC_REQUEST_FIELDS_H_
#define CONVENE_RPC_REQUEST_FIELDS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace convene::rpc {

absl::Status CheckRequestFields(const google::protobuf::Message& request);

// The one message for an enum number no value names: INVALID_ARGUMENT
// "<field>: unknown value <value>".
absl::Status UnknownEnumValue(absl::string_view field, int value);

}  // namespace convene::rpc

#endif  // CONVENE_RPC_REQUEST_FIELDS_H_
