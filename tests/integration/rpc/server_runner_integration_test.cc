#include <gmock/gmock.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "integration/rpc/grpc_test_clients.h"
#include "integration/rpc/test_echo_service.h"
#include "integration/rpc/test_server.h"
#include "rpc/server_runner.h"

namespace convene::rpc {
namespace {

using ::convene::rpc::testing::AwaitHealth;
using ::convene::rpc::testing::CheckHealth;
using ::convene::rpc::testing::EchoRequest;
using ::convene::rpc::testing::EchoResponse;
using ::convene::rpc::testing::EchoService;
using ::convene::rpc::testing::HealthWatch;
using ::convene::rpc::testing::kEchoServiceName;
using ::convene::rpc::testing::kTestTimeout;
using ::convene::rpc::testing::ListServicesByReflection;
using ::convene::rpc::testing::MakeChannel;
using ::convene::rpc::testing::ServingStatus;
using ::convene::rpc::testing::SetTestDeadline;
using ::convene::rpc::testing::TestEchoService;
using ::convene::rpc::testing::TestServerConfig;
using ::convene::rpc::testing::TestServerOptions;
using ::testing::IsSupersetOf;

MATCHER_P(IsServingStatus, expected,
          absl::StrCat("is ", ::testing::PrintToString(expected))) {
  if (!arg.ok()) {
    *result_listener << "health check failed: " << arg.status();
    return false;
  }
  *result_listener << "health is " << ::testing::PrintToString(*arg);
  return *arg == expected;
}

// A health probe whose answer the test sets.
class FakeProbe {
 public:
  void Set(absl::Status status) {
    absl::MutexLock lock(&mu_);
    status_ = std::move(status);
  }
  absl::Status operator()() {
    absl::MutexLock lock(&mu_);
    return status_;
  }

 private:
  absl::Mutex mu_;
  absl::Status status_;
};

// Sends a held Echo and returns the future of its status.
std::future<grpc::Status> StartHeldEcho(EchoService::Stub& stub,
                                        grpc::ClientContext& context,
                                        EchoRequest& request,
                                        EchoResponse& response) {
  request.set_hold(true);
  auto done = std::make_shared<std::promise<grpc::Status>>();
  std::future<grpc::Status> result = done->get_future();
  stub.async()->Echo(&context, &request, &response,
                     [done](grpc::Status status) { done->set_value(status); });
  return result;
}

TEST(ServerRunner, ListensOnAFreePortAndAnnouncesIt) {
  TestEchoService service;
  std::ostringstream announced;
  ServerOptions options = TestServerOptions(&service);
  options.announce = &announced;

  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), std::move(options));
  ASSERT_TRUE(runner.ok()) << runner.status();

  int port = (*runner)->port();
  EXPECT_GT(port, 0);
  EXPECT_EQ((*runner)->address(), absl::StrCat("127.0.0.1:", port));
  EXPECT_EQ(announced.str(),
            absl::StrCat("convene-test listening on 127.0.0.1:", port, "\n"));

  auto stub = EchoService::NewStub(MakeChannel((*runner)->address()));
  grpc::ClientContext context;
  SetTestDeadline(context);
  EchoRequest request;
  request.set_text("hello");
  EchoResponse response;
  grpc::Status status = stub->Echo(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.text(), "hello");
}

TEST(ServerRunner, RefusesAPortAnotherServerHolds) {
  TestEchoService service;
  absl::StatusOr<std::unique_ptr<ServerRunner>> first =
      ServerRunner::Start(TestServerConfig(), TestServerOptions(&service));
  ASSERT_TRUE(first.ok()) << first.status();

  ServerConfig config = TestServerConfig();
  config.listen = (*first)->address();
  TestEchoService other_service;
  absl::StatusOr<std::unique_ptr<ServerRunner>> second =
      ServerRunner::Start(config, TestServerOptions(&other_service));
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable)
      << second.status();
}

TEST(ServerRunner, RejectsABadConfig) {
  TestEchoService service;
  ServerConfig no_port = TestServerConfig();
  no_port.listen = "localhost";
  EXPECT_EQ(
      ServerRunner::Start(no_port, TestServerOptions(&service)).status().code(),
      absl::StatusCode::kInvalidArgument);

  ServerConfig no_room = TestServerConfig();
  no_room.max_message_bytes = 0;
  EXPECT_EQ(
      ServerRunner::Start(no_room, TestServerOptions(&service)).status().code(),
      absl::StatusCode::kInvalidArgument);

  ServerOptions nameless = TestServerOptions(&service);
  nameless.name = "";
  EXPECT_EQ(ServerRunner::Start(TestServerConfig(), std::move(nameless))
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ServerRunner, ReportsNotServingUntilTheFirstProbeSucceeds) {
  TestEchoService service;
  absl::Notification probe_may_answer;
  ServerOptions options = TestServerOptions(&service);
  options.health_probe = [&probe_may_answer] {
    probe_may_answer.WaitForNotificationWithTimeout(kTestTimeout);
    return absl::OkStatus();
  };
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), std::move(options));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto channel = MakeChannel((*runner)->address());

  absl::StatusOr<ServingStatus> before = CheckHealth(channel, kEchoServiceName);
  absl::StatusOr<ServingStatus> overall_before = CheckHealth(channel, "");
  probe_may_answer.Notify();

  EXPECT_THAT(before, IsServingStatus(ServingStatus::kNotServing));
  EXPECT_THAT(overall_before, IsServingStatus(ServingStatus::kNotServing));
  EXPECT_THAT(AwaitHealth(channel, kEchoServiceName, ServingStatus::kServing,
                          kTestTimeout),
              IsServingStatus(ServingStatus::kServing));
}

TEST(ServerRunner, HealthFollowsTheProbe) {
  TestEchoService service;
  FakeProbe probe;
  ServerOptions options = TestServerOptions(&service);
  options.health_service_names = {kEchoServiceName, "convene.v1.Other"};
  options.health_probe = [&probe] { return probe(); };
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), std::move(options));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto channel = MakeChannel((*runner)->address());

  for (const char* name : {kEchoServiceName, "convene.v1.Other", ""}) {
    EXPECT_THAT(
        AwaitHealth(channel, name, ServingStatus::kServing, kTestTimeout),
        IsServingStatus(ServingStatus::kServing))
        << "service \"" << name << "\"";
  }

  probe.Set(absl::UnavailableError("redis is down"));
  for (const char* name : {kEchoServiceName, "convene.v1.Other", ""}) {
    EXPECT_THAT(
        AwaitHealth(channel, name, ServingStatus::kNotServing, kTestTimeout),
        IsServingStatus(ServingStatus::kNotServing))
        << "service \"" << name << "\"";
  }

  probe.Set(absl::OkStatus());
  for (const char* name : {kEchoServiceName, "convene.v1.Other", ""}) {
    EXPECT_THAT(
        AwaitHealth(channel, name, ServingStatus::kServing, kTestTimeout),
        IsServingStatus(ServingStatus::kServing))
        << "service \"" << name << "\"";
  }
}

TEST(ServerRunner, AHealthOnlyPortMirrorsHealthAndServesNothingElse) {
  TestEchoService service;
  FakeProbe probe;
  std::ostringstream announced;
  ServerOptions options = TestServerOptions(&service);
  options.health_service_names = {kEchoServiceName};
  options.health_probe = [&probe] { return probe(); };
  options.announce = &announced;
  ServerConfig config = TestServerConfig();
  config.health_listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(config, std::move(options));
  ASSERT_TRUE(runner.ok()) << runner.status();
  const int health_port = (*runner)->health_port();
  ASSERT_GT(health_port, 0);
  EXPECT_NE(health_port, (*runner)->port());
  EXPECT_THAT(announced.str(),
              ::testing::StartsWith(absl::StrCat("convene-test health on 127.0.0.1:",
                                                 health_port, "\n")));
  auto health = MakeChannel(absl::StrCat("127.0.0.1:", health_port));

  for (const char* name : {kEchoServiceName, ""}) {
    EXPECT_THAT(AwaitHealth(health, name, ServingStatus::kServing, kTestTimeout),
                IsServingStatus(ServingStatus::kServing));
  }
  probe.Set(absl::UnavailableError("redis is down"));
  EXPECT_THAT(AwaitHealth(health, kEchoServiceName, ServingStatus::kNotServing, kTestTimeout),
              IsServingStatus(ServingStatus::kNotServing));
  probe.Set(absl::OkStatus());
  EXPECT_THAT(AwaitHealth(health, kEchoServiceName, ServingStatus::kServing, kTestTimeout),
              IsServingStatus(ServingStatus::kServing));

  // The services themselves are not there.
  auto stub = EchoService::NewStub(health);
  grpc::ClientContext context;
  SetTestDeadline(context);
  EchoRequest request;
  request.set_text("hello");
  EchoResponse response;
  EXPECT_EQ(stub->Echo(&context, request, &response).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);

  (*runner)->Stop();
  EXPECT_FALSE(CheckHealth(health, "").ok());
}

TEST(ServerRunner, AnswersNotFoundForAnUnknownServiceName) {
  TestEchoService service;
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), TestServerOptions(&service));
  ASSERT_TRUE(runner.ok()) << runner.status();

  absl::StatusOr<ServingStatus> health = CheckHealth(
      MakeChannel((*runner)->address()), "convene.v1.NoSuchService");
  EXPECT_EQ(health.status().code(), absl::StatusCode::kNotFound)
      << health.status();
}

TEST(ServerRunner, ListsItsServicesThroughReflection) {
  TestEchoService service;
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), TestServerOptions(&service));
  ASSERT_TRUE(runner.ok()) << runner.status();

  absl::StatusOr<std::vector<std::string>> services =
      ListServicesByReflection(MakeChannel((*runner)->address()));
  ASSERT_TRUE(services.ok()) << services.status();
  EXPECT_THAT(
      *services,
      IsSupersetOf({std::string(kEchoServiceName),
                    std::string("grpc.health.v1.Health"),
                    std::string("grpc.reflection.v1alpha.ServerReflection")}));
}

TEST(ServerRunner, StopLetsAnInFlightRpcFinish) {
  TestEchoService service;
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), TestServerOptions(&service));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto stub = EchoService::NewStub(MakeChannel((*runner)->address()));

  grpc::ClientContext context;
  SetTestDeadline(context);
  EchoRequest request;
  request.set_text("in flight");
  EchoResponse response;
  std::future<grpc::Status> echo =
      StartHeldEcho(*stub, context, request, response);
  ASSERT_TRUE(service.WaitForHeld(1, kTestTimeout));
  // A health watcher too: it must neither end the drain early nor hold it.
  HealthWatch watch(MakeChannel((*runner)->address()), kEchoServiceName);

  absl::Notification stopped;
  std::thread stopper([&] {
    (*runner)->Stop();
    stopped.Notify();
  });
  // The grace period is a minute: Stop() must still be waiting for the RPC.
  EXPECT_FALSE(stopped.WaitForNotificationWithTimeout(absl::Milliseconds(300)));

  service.ReleaseHeld();
  grpc::Status status = echo.get();
  stopper.join();
  EXPECT_TRUE(stopped.HasBeenNotified());
  ASSERT_TRUE(status.ok()) << status.error_code() << " "
                           << status.error_message();
  EXPECT_EQ(response.text(), "in flight");
}

TEST(ServerRunner, StopCancelsRpcsStillRunningAfterTheGrace) {
  TestEchoService service;
  ServerConfig config = TestServerConfig();
  config.shutdown_grace = absl::Milliseconds(100);
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(config, TestServerOptions(&service));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto stub = EchoService::NewStub(MakeChannel((*runner)->address()));

  grpc::ClientContext context;
  SetTestDeadline(context);
  EchoRequest request;
  EchoResponse response;
  std::future<grpc::Status> echo =
      StartHeldEcho(*stub, context, request, response);
  ASSERT_TRUE(service.WaitForHeld(1, kTestTimeout));

  (*runner)->Stop();  // Returns although the RPC is never released.

  grpc::Status status = echo.get();
  EXPECT_FALSE(status.ok());
}

TEST(ServerRunner, StopTellsHealthWatchersAndDoesNotWaitForThem) {
  TestEchoService service;
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), TestServerOptions(&service));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto channel = MakeChannel((*runner)->address());
  ASSERT_THAT(AwaitHealth(channel, kEchoServiceName, ServingStatus::kServing,
                          kTestTimeout),
              IsServingStatus(ServingStatus::kServing));
  HealthWatch watch(channel, kEchoServiceName);
  ASSERT_THAT(watch.Next(kTestTimeout),
              IsServingStatus(ServingStatus::kServing));

  absl::Notification stopped;
  std::thread stopper([&] {
    (*runner)->Stop();
    stopped.Notify();
  });

  EXPECT_THAT(watch.Next(kTestTimeout),
              IsServingStatus(ServingStatus::kNotServing));
  // The grace period is a minute; an open watch must not hold Stop() for it.
  EXPECT_TRUE(stopped.WaitForNotificationWithTimeout(absl::Seconds(30)));
  stopper.join();
}

TEST(ServerRunner, RunReturnsAfterStop) {
  TestEchoService service;
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), TestServerOptions(&service));
  ASSERT_TRUE(runner.ok()) << runner.status();

  std::thread run([&] { (*runner)->Run(); });
  (*runner)->Stop();
  run.join();
  (*runner)->Run();  // Already stopped: returns at once.
}

TEST(ServerRunner, NeedsShutdownSignalsBlockedToHandleThem) {
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_UNBLOCK, &signals, &previous);

  TestEchoService service;
  ServerOptions options = TestServerOptions(&service);
  options.handle_shutdown_signals = true;
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), std::move(options));
  EXPECT_EQ(runner.status().code(), absl::StatusCode::kFailedPrecondition)
      << runner.status();

  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

TEST(ServerRunner, RunReturnsOnSigterm) {
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, nullptr, &previous);
  BlockShutdownSignals();

  TestEchoService service;
  ServerOptions options = TestServerOptions(&service);
  options.handle_shutdown_signals = true;
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(TestServerConfig(), std::move(options));
  ASSERT_TRUE(runner.ok()) << runner.status();

  // Directed at this thread, where it is blocked: it stays pending until
  // Run() reads it, and cannot reach gRPC's threads (which may not block it).
  ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
  (*runner)->Run();

  auto channel = MakeChannel((*runner)->address());
  EXPECT_FALSE(CheckHealth(channel, "").ok());
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

}  // namespace
}  // namespace convene::rpc

namespace convene::rpc {
namespace {

TEST(ServerRunner, CancelsAUnaryCallThatRunsPastTheServersLimit) {
  testing::TestEchoService service;
  ServerConfig config = TestServerConfig();
  config.max_call_duration = absl::Milliseconds(300);
  absl::StatusOr<std::unique_ptr<ServerRunner>> runner =
      ServerRunner::Start(config, TestServerOptions(&service));
  ASSERT_TRUE(runner.ok()) << runner.status();
  auto stub = testing::EchoService::NewStub(MakeChannel((*runner)->address()));
  // The client would wait far longer; the server does not let it.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  testing::EchoRequest request;
  testing::EchoResponse response;
  std::future<grpc::Status> echo = StartHeldEcho(*stub, context, request, response);
  ASSERT_TRUE(service.WaitForHeld(1, kTestTimeout));
  ASSERT_EQ(echo.wait_for(std::chrono::seconds(30)), std::future_status::ready);
  EXPECT_EQ(echo.get().error_code(), grpc::StatusCode::CANCELLED);
  // Calls that finish in time are untouched.
  grpc::ClientContext quick;
  SetTestDeadline(quick);
  testing::EchoRequest hello;
  hello.set_text("hello");
  EXPECT_TRUE(stub->Echo(&quick, hello, &response).ok());
}

}  // namespace
}  // namespace convene::rpc
