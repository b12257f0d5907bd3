// For methods served raw (gRPC's WithRawCallbackMethod_*): the request
// parsed from its bytes, and an answer that already exists as bytes (a
// cached, encoded response) sent as it is, without a copy.
//
//   v1::GetAgendaRequest request;
//   if (absl::Status s = rpc::ParseRawRequest(*request_bytes, request); !s.ok()) ...
//   rpc::SendShared(answer, answer->response, *response_bytes);
#ifndef CONVENE_RPC_RAW_MESSAGE_H_
#define CONVENE_RPC_RAW_MESSAGE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/support/byte_buffer.h"
#include "grpcpp/support/slice.h"

namespace convene::rpc {

// INVALID_ARGUMENT when `bytes` are not a `request` (an empty request, every
// field unset, may come as no buffer at all).
absl::Status ParseRawRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& request);

// Makes `out` the bytes `response` (which `owner` holds), keeping `owner`
// alive until gRPC has sent them.
template <typename T>
void SendShared(std::shared_ptr<const T> owner, const std::string& response,
                grpc::ByteBuffer& out) {
  auto* held = new std::shared_ptr<const T>(std::move(owner));
  grpc::Slice slice(
      const_cast<char*>(response.data()), response.size(),
      [](void* p) { delete static_cast<std::shared_ptr<const T>*>(p); }, held);
  out = grpc::ByteBuffer(&slice, 1);
}

}  // namespace convene::rpc

#endif  // CONVENE_RPC_RAW_MESSAGE_H_
