#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "integration/rpc/grpc_test_clients.h"
#include "integration/rpc/test_echo_service.h"
#include "integration/rpc/test_server.h"
#include "rpc/rpc_logging.h"
#include "rpc/server_runner.h"

namespace convene::rpc {
namespace {

using ::convene::rpc::testing::EchoRequest;
using ::convene::rpc::testing::EchoResponse;
using ::convene::rpc::testing::EchoService;
using ::convene::rpc::testing::MakeChannel;
using ::convene::rpc::testing::SetTestDeadline;
using ::convene::rpc::testing::TestEchoService;
using ::convene::rpc::testing::TestServerConfig;
using ::convene::rpc::testing::TestServerOptions;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

// Collects log lines from gRPC's threads.
class LineCollector {
 public:
  RpcLogSink Sink() {
    return [this](absl::string_view line) {
      absl::MutexLock lock(&mu_);
      lines_.emplace_back(line);
    };
  }
  std::vector<std::string> Lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_;
};

grpc::Status CallEcho(EchoService::Stub& stub, grpc::StatusCode code) {
  grpc::ClientContext context;
  SetTestDeadline(context);
  context.AddMetadata("authorization", "Bearer secret-token");
  EchoRequest request;
  request.set_text("secret-body");
  request.set_code(code);
  EchoResponse response;
  return stub.Echo(&context, request, &response);
}

TEST(FormatRpcLogLine, ShowsMethodCodeNameAndMilliseconds) {
  EXPECT_EQ(FormatRpcLogLine("/convene.v1.CalendarService/GetEvent",
                             grpc::StatusCode::OK, absl::Microseconds(1234)),
            "rpc /convene.v1.CalendarService/GetEvent OK 1.23ms");
  EXPECT_EQ(FormatRpcLogLine("/a.B/C", grpc::StatusCode::FAILED_PRECONDITION,
                             absl::Milliseconds(2500)),
            "rpc /a.B/C FAILED_PRECONDITION 2500.00ms");
  EXPECT_EQ(FormatRpcLogLine("/a.B/C", grpc::StatusCode::NOT_FOUND,
                             absl::ZeroDuration()),
            "rpc /a.B/C NOT_FOUND 0.00ms");
}

TEST(RpcLoggingInterceptor, LogsOneLinePerRpcWithoutMetadataOrBodies) {
  TestEchoService service;
  LineCollector collector;
  ServerOptions options = TestServerOptions(&service);
  options.rpc_log_sink = collector.Sink();
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), std::move(options));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto stub = EchoService::NewStub(MakeChannel((*runner)->address()));

  EXPECT_TRUE(CallEcho(*stub, grpc::StatusCode::OK).ok());
  EXPECT_EQ(CallEcho(*stub, grpc::StatusCode::NOT_FOUND).error_code(),
            grpc::StatusCode::NOT_FOUND);

  // The line is written before the status goes out, so it is there by now.
  std::vector<std::string> lines = collector.Lines();
  EXPECT_THAT(
      lines,
      ElementsAre(
          MatchesRegex(
              R"(rpc /convene\.rpc\.testing\.EchoService/Echo OK [0-9]+\.[0-9][0-9]ms)"),
          MatchesRegex(
              R"(rpc /convene\.rpc\.testing\.EchoService/Echo NOT_FOUND [0-9]+\.[0-9][0-9]ms)")));
  for (const std::string& line : lines) {
    EXPECT_THAT(line, Not(HasSubstr("secret")));
  }
}

TEST(RpcLoggingInterceptor, StaysQuietWhenRpcLoggingIsOff) {
  TestEchoService service;
  LineCollector collector;
  ServerOptions options = TestServerOptions(&service);
  options.rpc_log_sink = collector.Sink();
  ServerConfig config = TestServerConfig();
  config.log_rpcs = false;
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(config, std::move(options));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto stub = EchoService::NewStub(MakeChannel((*runner)->address()));

  EXPECT_TRUE(CallEcho(*stub, grpc::StatusCode::OK).ok());
  (*runner)->Stop();
  EXPECT_THAT(collector.Lines(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace convene::rpc
