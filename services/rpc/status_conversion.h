// Conversion between absl::Status and grpc::Status: the one place in Convene
// where a status crosses the gRPC boundary.
//
// Every canonical code maps 1:1 (both enums follow google.rpc.Code), and the
// message is carried unchanged up to kMaxGrpcMessageBytes; a longer one (an
// error echoing a huge id) is cut there, never inside a UTF-8 character, and
// ends in "...". Payloads of an absl::Status and the binary error details of
// a grpc::Status are not carried.
//
// Example, in a handler:
//
//   absl::StatusOr<Event> event = app_->GetEvent(id);
//   if (!event.ok()) return reactor->Finish(ToGrpcStatus(event.status()));
//
// and in a client:
//
//   grpc::Status status = stub->GetEvent(&context, request, &response);
//   if (!status.ok()) return FromGrpcStatus(status);
#ifndef CONVENE_RPC_STATUS_CONVERSION_H_
#define CONVENE_RPC_STATUS_CONVERSION_H_

#include <grpcpp/support/status.h>

#include <cstddef>

#include "absl/status/status.h"

namespace convene::rpc {

// Returns the gRPC code with the same meaning as `code`; a value outside the
// canonical range becomes UNKNOWN.
grpc::StatusCode ToGrpcCode(absl::StatusCode code);

// Returns the Abseil code with the same meaning as `code`; a value outside
// the canonical range (e.g. grpc::DO_NOT_USE) becomes kUnknown.
absl::StatusCode FromGrpcCode(grpc::StatusCode code);

// The most bytes of a message ToGrpcStatus sends: the message travels in the
// grpc-message header, percent-encoded (up to 3 bytes per byte), and past
// the client's metadata limit (8 KiB by default) the client gets
// RESOURCE_EXHAUSTED instead of the status that was meant.
inline constexpr size_t kMaxGrpcMessageBytes = 1000;

// Returns a grpc::Status with the same code and message as `status`, the
// message cut to kMaxGrpcMessageBytes.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Returns an absl::Status with the same code and message as `status`.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace convene::rpc

#endif  // CONVENE_RPC_STATUS_CONVERSION_H_
