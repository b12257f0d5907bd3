// CallTimeLimit: the server's own cap on how long a unary call may run,
// whatever deadline (or none) the client set: a call still running after
// `limit` is cancelled, so a stuck backend or a client with an absurd
// deadline cannot hold server resources without end. Streams (watches,
// subscriptions) are long-lived by design and are not limited.
//
//   interceptors.push_back(MakeCallTimeLimitInterceptorFactory(absl::Seconds(60)));
#ifndef CONVENE_RPC_CALL_TIME_LIMIT_H_
#define CONVENE_RPC_CALL_TIME_LIMIT_H_

#include <grpcpp/support/server_interceptor.h>

#include <memory>

#include "absl/time/time.h"

namespace convene::rpc {

// The factory owns one timer thread for all its calls.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeCallTimeLimitInterceptorFactory(absl::Duration limit);

}  // namespace convene::rpc

#endif  // CONVENE_RPC_CALL_TIME_LIMIT_H_
