#include "rpc/rpc_logging.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "core/log.h"
#include "rpc/status_conversion.h"

namespace convene::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;

class RpcLoggingInterceptor final : public grpc::experimental::Interceptor {
 public:
  RpcLoggingInterceptor(std::shared_ptr<const RpcLogSink> sink, Metrics* metrics,
                        const char* method)
      : sink_(std::move(sink)),
        metrics_(metrics),
        method_(method != nullptr ? method : "<unknown method>"),
        start_(std::chrono::steady_clock::now()) {}

  // A server always sends a status, even for a cancelled call, so the line is
  // normally written at PRE_SEND_STATUS; the destructor covers a call torn
  // down without one so that no RPC goes unlogged.
  ~RpcLoggingInterceptor() override {
    Log(grpc::StatusCode::CANCELLED);  // A no-op when already logged.
  }

  void Intercept(
      grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            InterceptionHookPoints::PRE_SEND_STATUS)) {
      Log(methods->GetSendStatus().error_code());
    }
    methods->Proceed();
  }

 private:
  void Log(grpc::StatusCode code) {
    if (logged_.exchange(true, std::memory_order_relaxed)) return;
    absl::Duration latency =
        absl::FromChrono(std::chrono::steady_clock::now() - start_);
    if (sink_) (*sink_)(FormatRpcLogLine(method_, code, latency));
    if (metrics_ != nullptr) metrics_->RecordRpc(method_, code, latency);
  }

  // Null: no log line.
  const std::shared_ptr<const RpcLogSink> sink_;
  Metrics* const metrics_;
  // A copy: the interceptor may outlive the call's own method string.
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
  // Atomic because a streaming call's send and receive batches may be
  // intercepted on different threads at the same time.
  std::atomic<bool> logged_{false};
};

class RpcLoggingInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  RpcLoggingInterceptorFactory(std::shared_ptr<const RpcLogSink> sink, Metrics* metrics)
      : sink_(std::move(sink)), metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcLoggingInterceptor(sink_, metrics_, info->method());
  }

 private:
  const std::shared_ptr<const RpcLogSink> sink_;
  Metrics* const metrics_;
};

}  // namespace

std::string FormatRpcLogLine(absl::string_view method, grpc::StatusCode code,
                             absl::Duration latency) {
  return absl::StrFormat("rpc %s %s %.2fms", method,
                         absl::StatusCodeToString(FromGrpcCode(code)),
                         absl::ToDoubleMilliseconds(latency));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcObservingInterceptorFactory(bool log, RpcLogSink sink, Metrics* metrics) {
  std::shared_ptr<const RpcLogSink> lines;
  if (log) {
    if (!sink) sink = [](absl::string_view line) { core::LogInfo(line); };
    lines = std::make_shared<const RpcLogSink>(std::move(sink));
  }
  return std::make_unique<RpcLoggingInterceptorFactory>(std::move(lines), metrics);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
MakeRpcLoggingInterceptorFactory(RpcLogSink sink) {
  return MakeRpcObservingInterceptorFactory(true, std::move(sink), nullptr);
}

}  // namespace convene::rpc
