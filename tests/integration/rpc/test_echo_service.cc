#include "integration/rpc/test_echo_service.h"

#include <atomic>
#include <memory>
#include <string>
#include <utility>

namespace convene::rpc::testing {

class TestEchoService::HeldReactor final : public grpc::ServerUnaryReactor {
 public:
  HeldReactor(std::string text, EchoResponse* response)
      : text_(std::move(text)), response_(response) {}

  void Release() { FinishOnce(grpc::Status::OK); }

  void OnCancel() override {
    FinishOnce(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled"));
  }

  void OnDone() override {}

 private:
  // Release() and OnCancel() may race; only the first may Finish.
  void FinishOnce(const grpc::Status& status) {
    if (finished_.exchange(true)) return;
    if (status.ok()) response_->set_text(text_);
    Finish(status);
  }

  const std::string text_;
  EchoResponse* const response_;
  std::atomic<bool> finished_{false};
};

TestEchoService::TestEchoService() = default;
TestEchoService::~TestEchoService() = default;

grpc::ServerUnaryReactor* TestEchoService::Echo(
    grpc::CallbackServerContext* context, const EchoRequest* request,
    EchoResponse* response) {
  if (request->hold()) {
    absl::MutexLock lock(&mu_);
    held_.push_back(std::make_unique<HeldReactor>(request->text(), response));
    return held_.back().get();
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto code = static_cast<grpc::StatusCode>(request->code());
  if (code == grpc::StatusCode::OK) {
    response->set_text(request->text());
    reactor->Finish(grpc::Status::OK);
  } else {
    reactor->Finish(grpc::Status(code, "requested by the test"));
  }
  return reactor;
}

bool TestEchoService::WaitForHeld(int count, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto arrived = [this, count]() {
    return static_cast<int>(held_.size()) >= count;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
}

void TestEchoService::ReleaseHeld() {
  absl::MutexLock lock(&mu_);
  for (const auto& reactor : held_) reactor->Release();
}

}  // namespace convene::rpc::testing
