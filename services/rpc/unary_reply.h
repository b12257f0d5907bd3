// How every handler ends a call, in one place:
//
//   // Refused or invalid before any work:
//   if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
//     return rpc::FinishNow(context, s);
//   }
//   // Async work: the app's callback fills the response and finishes.
//   app_.GetEvent(id, rpc::Reply<core::Event>(reactor, response, PutEvent));
//   // A server stream refused before it starts:
//   return rpc::FinishStreamNow<v1::Change>(status);
//
// Blocking work runs on a pool and finishes with FinishOnPool
// (worker_pool.h). Statuses convert with ToGrpcStatus (status_conversion.h).
#ifndef CONVENE_RPC_UNARY_REPLY_H_
#define CONVENE_RPC_UNARY_REPLY_H_

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "rpc/status_conversion.h"

namespace convene::rpc {

// Finishes the call at once with `status`; returns its reactor.
inline grpc::ServerUnaryReactor* FinishNow(grpc::CallbackServerContext* context,
                                           const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// A callback for an app's Done<T>: on success `map(value, *response)` fills
// the response; the call finishes with the result's status either way.
template <typename T, typename Response, typename Map>
auto Reply(grpc::ServerUnaryReactor* reactor, Response* response, Map map) {
  return [reactor, response, map = std::move(map)](absl::StatusOr<T> result) {
    if (result.ok()) map(*result, *response);
    reactor->Finish(ToGrpcStatus(result.status()));
  };
}

// A server stream that ends at once with `status`.
template <typename Message>
grpc::ServerWriteReactor<Message>* FinishStreamNow(const absl::Status& status) {
  struct Refused final : grpc::ServerWriteReactor<Message> {
    explicit Refused(const absl::Status& s) { this->Finish(ToGrpcStatus(s)); }
    void OnDone() override { delete this; }
  };
  return new Refused(status);
}

}  // namespace convene::rpc

#endif  // CONVENE_RPC_UNARY_REPLY_H_
