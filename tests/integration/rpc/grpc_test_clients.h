// Clients for the services every Convene server carries (grpc.health.v1 and
// grpc.reflection.v1alpha), written against grpc::GenericStub with
// hand-encoded messages: Debian ships neither service's generated C++ code,
// and compiling the reflection protos into a binary that links
// grpc++_reflection would clash with the library's copy.
#ifndef CONVENE_TESTS_INTEGRATION_RPC_GRPC_TEST_CLIENTS_H_
#define CONVENE_TESTS_INTEGRATION_RPC_GRPC_TEST_CLIENTS_H_

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/generic/generic_stub.h>

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convene::rpc::testing {

// grpc.health.v1.HealthCheckResponse.ServingStatus.
enum class ServingStatus {
  kUnknown = 0,
  kServing = 1,
  kNotServing = 2,
  kServiceUnknown = 3,
};
std::ostream& operator<<(std::ostream& out, ServingStatus status);

// Calls grpc.health.v1.Health/Check for `service`; a failed RPC (e.g.
// NOT_FOUND for an unknown service) comes back as its status.
absl::StatusOr<ServingStatus> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, absl::string_view service);

// Polls CheckHealth until it reports `expected`; returns the last result
// (status or error) when `timeout` runs out first.
absl::StatusOr<ServingStatus> AwaitHealth(
    const std::shared_ptr<grpc::Channel>& channel, absl::string_view service,
    ServingStatus expected, absl::Duration timeout);

// A grpc.health.v1.Health/Watch stream, read one update at a time.
class HealthWatch {
 public:
  // Opens the stream for `service`.
  HealthWatch(const std::shared_ptr<grpc::Channel>& channel,
              absl::string_view service);
  // Cancels the stream if it is still open.
  ~HealthWatch();

  // The next status the server sends. Once the stream has ended: its final
  // status as an error (OutOfRange for OK). DeadlineExceeded if nothing
  // arrives within `timeout`; the stream is then unusable.
  absl::StatusOr<ServingStatus> Next(absl::Duration timeout);

 private:
  grpc::ClientContext context_;
  grpc::CompletionQueue queue_;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call_;
  grpc::ByteBuffer response_;
  // Completion-queue tags; only their addresses matter.
  int read_tag_ = 0;
  int finish_tag_ = 0;
  bool open_ = false;          // Reads may still return messages.
  bool read_pending_ = false;  // A Read() timed out and is still queued.
  bool finished_ = false;      // Finish() has completed.
};

// Asks grpc.reflection.v1alpha for the server's services (list_services).
absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel);

// An insecure channel to `address`.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

}  // namespace convene::rpc::testing

#endif  // CONVENE_TESTS_INTEGRATION_RPC_GRPC_TEST_CLIENTS_H_
