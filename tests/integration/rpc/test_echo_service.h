// A callback Echo service for the rpc tests: answers at once, or holds calls
// open until the test releases them, so tests can have RPCs in flight
// without sleeping.
#ifndef CONVENE_TESTS_INTEGRATION_RPC_TEST_ECHO_SERVICE_H_
#define CONVENE_TESTS_INTEGRATION_RPC_TEST_ECHO_SERVICE_H_

#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "testing/echo.grpc.pb.h"

namespace convene::rpc::testing {

inline constexpr char kEchoServiceName[] = "convene.rpc.testing.EchoService";
inline constexpr char kEchoMethod[] = "/convene.rpc.testing.EchoService/Echo";

class TestEchoService final : public EchoService::CallbackService {
 public:
  TestEchoService();
  // Must outlive the server: destroy it after the server has stopped.
  ~TestEchoService() override;

  // Echoes request->text(); finishes with request->code(); with
  // request->hold(), waits for ReleaseHeld() or cancellation first.
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* context,
                                 const EchoRequest* request,
                                 EchoResponse* response) override;

  // Returns true once `count` held calls have arrived, false after `timeout`.
  bool WaitForHeld(int count, absl::Duration timeout);

  // Finishes every held call with OK.
  void ReleaseHeld();

  class HeldReactor;

 private:
  absl::Mutex mu_;
  // Owned here rather than deleted in OnDone, so ReleaseHeld() never races
  // a reactor's destruction.
  std::vector<std::unique_ptr<HeldReactor>> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace convene::rpc::testing

#endif  // CONVENE_TESTS_INTEGRATION_RPC_TEST_ECHO_SERVICE_H_
