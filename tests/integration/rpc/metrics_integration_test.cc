// rpc::Metrics and --metrics_listen: what Prometheus scrapes from a server,
// over real HTTP from a real ServerRunner on 127.0.0.1:0.
#include <gmock/gmock.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "integration/rpc/grpc_test_clients.h"
#include "integration/rpc/test_echo_service.h"
#include "integration/rpc/test_server.h"
#include "rpc/metrics.h"
#include "rpc/metrics_server.h"
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
using ::testing::HasSubstr;
using ::testing::Not;

TEST(Metrics, CountsRpcsByMethodAndCodeWithCumulativeBuckets) {
  Metrics m;
  m.RecordRpc("/a.S/Get", grpc::StatusCode::OK, absl::Microseconds(300));
  m.RecordRpc("/a.S/Get", grpc::StatusCode::OK, absl::Milliseconds(3));
  m.RecordRpc("/a.S/Get", grpc::StatusCode::NOT_FOUND, absl::Seconds(10));
  const std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE convene_rpc_requests_total counter\n"));
  EXPECT_THAT(text, HasSubstr("convene_rpc_requests_total{method=\"/a.S/Get\",code=\"OK\"} 2\n"));
  EXPECT_THAT(text,
              HasSubstr("convene_rpc_requests_total{method=\"/a.S/Get\",code=\"NOT_FOUND\"} 1\n"));
  // 0.3 ms falls in the first bucket, 3 ms in le=0.005, 10 s only in +Inf.
  EXPECT_THAT(text, HasSubstr("convene_rpc_duration_seconds_bucket{method=\"/a.S/Get\",le=\"0.0005\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("convene_rpc_duration_seconds_bucket{method=\"/a.S/Get\",le=\"0.0025\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("convene_rpc_duration_seconds_bucket{method=\"/a.S/Get\",le=\"0.005\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("convene_rpc_duration_seconds_bucket{method=\"/a.S/Get\",le=\"2.5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("convene_rpc_duration_seconds_bucket{method=\"/a.S/Get\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("convene_rpc_duration_seconds_count{method=\"/a.S/Get\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("convene_rpc_duration_seconds_sum{method=\"/a.S/Get\"} 10.0033\n"));
}

TEST(Metrics, ReportsGaugesAndLeavesOutOneThatCannotBeRead) {
  Metrics m;
  m.AddGauge({"convene_test_lag_seconds", "A lag.", [] { return std::optional<double>(0.25); }});
  m.AddGauge({"convene_test_unread", "Not readable now.", [] { return std::optional<double>(); }});
  m.SetServing("convene.attendance.sheets", false);
  m.SetServing("", true);
  const std::string text = m.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE convene_test_lag_seconds gauge\nconvene_test_lag_seconds 0.25\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE convene_test_unread gauge\n"));
  EXPECT_THAT(text, Not(HasSubstr("\nconvene_test_unread ")));  // no sample line
  EXPECT_THAT(text, HasSubstr("convene_health_serving{service=\"convene.attendance.sheets\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("convene_health_serving{service=\"\"} 1\n"));
}

TEST(Metrics, EscapesLabelValues) {
  Metrics m;
  m.RecordRpc("/odd\"name\\x", grpc::StatusCode::OK, absl::Milliseconds(1));
  EXPECT_THAT(m.Render(), HasSubstr("method=\"/odd\\\"name\\\\x\""));
}

TEST(MetricsServer, RefusesAnAddressWithoutAPort) {
  Metrics m;
  EXPECT_EQ(MetricsServer::Start("127.0.0.1", m).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(MetricsServer::Start("127.0.0.1:99999", m).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// A server with --metrics_listen serves its RPCs, health and gauges on
// GET /metrics, and nothing else; after Stop() the port is closed.
TEST(MetricsServer, AServerReportsItsRpcsHealthAndGaugesOverHttp) {
  TestEchoService service;
  std::ostringstream announced;
  ServerOptions options = TestServerOptions(&service);
  options.announce = &announced;
  options.gauges.push_back(
      {"convene_test_queue_length", "Entries waiting.", [] { return std::optional<double>(7); }});
  ServerConfig config = TestServerConfig();
  config.metrics_listen = "127.0.0.1:0";
  config.log_rpcs = false;  // metrics alone still records
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(config, std::move(options));
  ASSERT_TRUE(runner.ok()) << runner.status();
  const int port = (*runner)->metrics_port();
  ASSERT_GT(port, 0);
  EXPECT_THAT(announced.str(),
              HasSubstr(absl::StrCat("convene-test metrics on 127.0.0.1:", port, "\n")));

  auto stub = EchoService::NewStub(MakeChannel((*runner)->address()));
  for (int i = 0; i < 3; ++i) {
    grpc::ClientContext context;
    SetTestDeadline(context);
    EchoRequest request;
    request.set_text("hello");
    EchoResponse response;
    ASSERT_TRUE(stub->Echo(&context, request, &response).ok());
  }

  httplib::Client http("127.0.0.1", port);
  http.set_read_timeout(20, 0);
  httplib::Result got = http.Get("/metrics");
  ASSERT_TRUE(got) << httplib::to_string(got.error());
  EXPECT_EQ(got->status, 200);
  EXPECT_THAT(got->get_header_value("Content-Type"), HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(got->body,
              HasSubstr("convene_rpc_requests_total{method=\"/convene.rpc.testing.EchoService/Echo\","
                        "code=\"OK\"} 3\n"));
  EXPECT_THAT(got->body, HasSubstr("convene_test_queue_length 7\n"));
  EXPECT_THAT(got->body, HasSubstr("convene_health_serving{service=\"\"}"));
  httplib::Result other = http.Get("/admin");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);

  (*runner)->Stop();
  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(5, 0);
  EXPECT_FALSE(after.Get("/metrics"));
}

}  // namespace
}  // namespace convene::rpc
