// A server interceptor that writes one log line per RPC (and, when asked,
// records it in rpc::Metrics):
//
//   rpc /convene.v1.CalendarService/GetEvent OK 1.23ms
//
// i.e. the full method name, the status code's name and the time from the
// RPC's arrival to the server sending its status. It never logs metadata
// (which will carry credentials) or message bodies, nor status messages
// (which may echo user input). It works with sync and callback services.
//
// ServerRunner installs it when ServerConfig::log_rpcs is set; to install it
// on a builder of your own:
//
//   std::vector<std::unique_ptr<
//       grpc::experimental::ServerInterceptorFactoryInterface>> factories;
//   factories.push_back(convene::rpc::MakeRpcLoggingInterceptorFactory());
//   builder.experimental().SetInterceptorCreators(std::move(factories));
#ifndef CONVENE_RPC_RPC_LOGGING_H_
#define CONVENE_RPC_RPC_LOGGING_H_

#include <grpcpp/support/server_interceptor.h>
#include <grpcpp/support/status.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "rpc/metrics.h"

namespace convene::rpc {

// Receives each finished log line. Called concurrently from gRPC threads, so
// it must be thread-safe, and it must be quick: it runs on the RPC's path.
using RpcLogSink = std::function<void(absl::string_view line)>;

// Returns the log line for one RPC, e.g.
// "rpc /convene.v1.CalendarService/GetEvent OK 1.23ms" (latency in
// milliseconds with two decimals).
std::string FormatRpcLogLine(absl::string_view method, grpc::StatusCode code,
                             absl::Duration latency);

// Returns a factory for the logging interceptor. Lines go to `sink`, or to
// convene::core's info log when `sink` is empty.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcLoggingInterceptorFactory(RpcLogSink sink = nullptr);

// The same interceptor, also (or only: `log` false) recording each RPC in
// `metrics` (when not null; it must outlive the server).
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcObservingInterceptorFactory(bool log, RpcLogSink sink, Metrics* metrics);

}  // namespace convene::rpc

#endif  // CONVENE_RPC_RPC_LOGGING_H_
