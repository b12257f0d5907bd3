// Wire enums are closed sets in Convene: a number the .proto does not name
// (from a newer or a broken client) is refused, never mapped to a default
// nor taken as "any" by a filter. CheckEnums is the one check, run on every
// request before its handler (auth::AdmitRequest), over every enum field the
// request carries, nested and repeated ones included.
//
//   absl::Status s = rpc::CheckEnums(request);
//   // INVALID_ARGUMENT "policy.muted_notices[1]: unknown value 99"
#ifndef CONVENE_RPC_REQUEST_ENUMS_H_
#define CONVENE_RPC_REQUEST_ENUMS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace convene::rpc {

// OK when every set enum field of `request` holds a value its enum names;
// otherwise UnknownEnumValue for the first one, by its path.
absl::Status CheckEnums(const google::protobuf::Message& request);

// The one message: INVALID_ARGUMENT "<field>: unknown value <value>".
absl::Status UnknownEnumValue(absl::string_view field, int value);

}  // namespace convene::rpc

#endif  // CONVENE_RPC_REQUEST_ENUMS_H_
