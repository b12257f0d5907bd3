#include "integration/rpc/grpc_test_clients.h"

#include <google/protobuf/unknown_field_set.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <chrono>
#include <future>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "rpc/status_conversion.h"

namespace convene::rpc::testing {
namespace {

using google::protobuf::UnknownField;
using google::protobuf::UnknownFieldSet;

constexpr absl::Duration kRpcTimeout = absl::Seconds(10);

void SetTimeout(grpc::ClientContext& context) {
  context.set_deadline(std::chrono::system_clock::now() +
                       absl::ToChronoMilliseconds(kRpcTimeout));
}

grpc::ByteBuffer ToByteBuffer(const UnknownFieldSet& message) {
  std::string bytes;
  message.SerializeToString(&bytes);
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

// UnknownFieldSet is neither copyable nor movable, hence the out-parameter.
bool Parse(absl::string_view bytes, UnknownFieldSet* message) {
  return message->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
}

bool Parse(const grpc::ByteBuffer& buffer, UnknownFieldSet* message) {
  grpc::Slice slice;
  if (!buffer.DumpToSingleSlice(&slice).ok()) return false;
  return Parse(absl::string_view(reinterpret_cast<const char*>(slice.begin()),
                                 slice.size()),
               message);
}

// The contents of the length-delimited fields numbered `number`, in order.
std::vector<std::string> LengthDelimited(const UnknownFieldSet& message,
                                         int number) {
  std::vector<std::string> fields;
  for (int i = 0; i < message.field_count(); ++i) {
    const UnknownField& field = message.field(i);
    if (field.number() == number &&
        field.type() == UnknownField::TYPE_LENGTH_DELIMITED) {
      fields.push_back(field.length_delimited());
    }
  }
  return fields;
}

// Waits for the completion queue to hand back `tag`; returns its `ok`.
bool Await(grpc::CompletionQueue& queue, void* tag) {
  void* got = nullptr;
  bool ok = false;
  return queue.Next(&got, &ok) && got == tag && ok;
}

// Like Await, but gives up after `timeout`; nullopt then.
std::optional<bool> AwaitFor(grpc::CompletionQueue& queue, void* tag,
                             absl::Duration timeout) {
  void* got = nullptr;
  bool ok = false;
  grpc::CompletionQueue::NextStatus status = queue.AsyncNext(
      &got, &ok,
      std::chrono::system_clock::now() + absl::ToChronoMilliseconds(timeout));
  if (status != grpc::CompletionQueue::GOT_EVENT) return std::nullopt;
  return got == tag && ok;
}

// Reads HealthCheckResponse { ServingStatus status = 1; }; absent means 0.
absl::StatusOr<ServingStatus> ParseHealthCheckResponse(
    const grpc::ByteBuffer& response) {
  UnknownFieldSet message;
  if (!Parse(response, &message)) {
    return absl::DataLossError("unparsable HealthCheckResponse");
  }
  int value = 0;
  for (int i = 0; i < message.field_count(); ++i) {
    const UnknownField& field = message.field(i);
    if (field.number() == 1 && field.type() == UnknownField::TYPE_VARINT) {
      value = static_cast<int>(field.varint());
    }
  }
  return static_cast<ServingStatus>(value);
}

// HealthCheckRequest { string service = 1; }
grpc::ByteBuffer HealthCheckRequest(absl::string_view service) {
  UnknownFieldSet message;
  message.AddLengthDelimited(1, std::string(service));
  return ToByteBuffer(message);
}

}  // namespace

std::ostream& operator<<(std::ostream& out, ServingStatus status) {
  switch (status) {
    case ServingStatus::kUnknown:
      return out << "UNKNOWN";
    case ServingStatus::kServing:
      return out << "SERVING";
    case ServingStatus::kNotServing:
      return out << "NOT_SERVING";
    case ServingStatus::kServiceUnknown:
      return out << "SERVICE_UNKNOWN";
  }
  return out << static_cast<int>(status);
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  return grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
}

absl::StatusOr<ServingStatus> CheckHealth(
    const std::shared_ptr<grpc::Channel>& channel, absl::string_view service) {
  grpc::ByteBuffer request = HealthCheckRequest(service);
  grpc::ByteBuffer response;

  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  SetTimeout(context);
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(),
                 &request, &response,
                 [&done](grpc::Status status) { done.set_value(status); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return FromGrpcStatus(status);

  return ParseHealthCheckResponse(response);
}

absl::StatusOr<ServingStatus> AwaitHealth(
    const std::shared_ptr<grpc::Channel>& channel, absl::string_view service,
    ServingStatus expected, absl::Duration timeout) {
  absl::Time give_up = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<ServingStatus> status = CheckHealth(channel, service);
    if ((status.ok() && *status == expected) || absl::Now() >= give_up) {
      return status;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
}

HealthWatch::HealthWatch(const std::shared_ptr<grpc::Channel>& channel,
                         absl::string_view service) {
  grpc::GenericStub stub(channel);
  // A generic call is bidi on the client side; on the wire it is the same
  // HTTP/2 stream the server-streaming Watch expects.
  call_ = stub.PrepareCall(&context_, "/grpc.health.v1.Health/Watch", &queue_);
  int start = 0, write = 0, writes_done = 0;
  call_->StartCall(&start);
  open_ = Await(queue_, &start);
  if (open_) {
    call_->Write(HealthCheckRequest(service), &write);
    open_ = Await(queue_, &write);
  }
  if (open_) {
    call_->WritesDone(&writes_done);
    open_ = Await(queue_, &writes_done);
  }
}

HealthWatch::~HealthWatch() {
  context_.TryCancel();
  // A cancelled call completes its pending read (with ok = false); only then
  // may it be finished.
  if (read_pending_) Await(queue_, &read_tag_);
  if (!finished_) {
    grpc::Status ignored;
    call_->Finish(&ignored, &finish_tag_);
    Await(queue_, &finish_tag_);
  }
  queue_.Shutdown();
  void* tag;
  bool ok;
  while (queue_.Next(&tag, &ok)) {
  }
}

absl::StatusOr<ServingStatus> HealthWatch::Next(absl::Duration timeout) {
  if (finished_) return absl::FailedPreconditionError("watch has ended");
  if (read_pending_) {
    return absl::FailedPreconditionError("an earlier Next() timed out");
  }
  if (open_) {
    call_->Read(&response_, &read_tag_);
    read_pending_ = true;
    std::optional<bool> ok = AwaitFor(queue_, &read_tag_, timeout);
    if (!ok.has_value()) {
      return absl::DeadlineExceededError("no health update in time");
    }
    read_pending_ = false;
    if (*ok) return ParseHealthCheckResponse(response_);
    open_ = false;
  }
  grpc::Status status;
  call_->Finish(&status, &finish_tag_);
  std::optional<bool> finished = AwaitFor(queue_, &finish_tag_, timeout);
  if (!finished.has_value()) {
    return absl::DeadlineExceededError("watch did not end in time");
  }
  finished_ = true;
  if (status.ok()) return absl::OutOfRangeError("watch ended with OK");
  return FromGrpcStatus(status);
}

absl::StatusOr<std::vector<std::string>> ListServicesByReflection(
    const std::shared_ptr<grpc::Channel>& channel) {
  // ServerReflectionRequest { string list_services = 7; }
  UnknownFieldSet request_message;
  request_message.AddLengthDelimited(7, "*");
  grpc::ByteBuffer request = ToByteBuffer(request_message);
  grpc::ByteBuffer response;

  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  SetTimeout(context);
  grpc::CompletionQueue queue;
  // One request, one response, in order; each step waits for its tag.
  int start = 0, write = 0, writes_done = 0, read = 0, finish = 0;
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context,
                       "/grpc.reflection.v1alpha.ServerReflection/"
                       "ServerReflectionInfo",
                       &queue);
  call->StartCall(&start);
  bool ok = Await(queue, &start);
  if (ok) {
    call->Write(request, &write);
    ok = Await(queue, &write);
  }
  if (ok) {
    call->WritesDone(&writes_done);
    ok = Await(queue, &writes_done);
  }
  if (ok) {
    call->Read(&response, &read);
    ok = Await(queue, &read);
  }
  grpc::Status status;
  call->Finish(&status, &finish);
  Await(queue, &finish);
  queue.Shutdown();
  void* ignored_tag;
  bool ignored_ok;
  while (queue.Next(&ignored_tag, &ignored_ok)) {
  }
  if (!status.ok()) return FromGrpcStatus(status);
  if (!ok) return absl::UnavailableError("reflection stream ended early");

  // ServerReflectionResponse { ListServiceResponse list_services_response = 6;
  // } ListServiceResponse { repeated ServiceResponse service = 1; }
  // ServiceResponse { string name = 1; }
  UnknownFieldSet message;
  if (!Parse(response, &message)) {
    return absl::DataLossError("unparsable ServerReflectionResponse");
  }
  std::vector<std::string> names;
  for (const std::string& list : LengthDelimited(message, 6)) {
    UnknownFieldSet services;
    if (!Parse(list, &services)) {
      return absl::DataLossError("unparsable ListServiceResponse");
    }
    for (const std::string& service : LengthDelimited(services, 1)) {
      UnknownFieldSet entry;
      if (!Parse(service, &entry)) {
        return absl::DataLossError("unparsable ServiceResponse");
      }
      for (std::string& name : LengthDelimited(entry, 1)) {
        names.push_back(std::move(name));
      }
    }
  }
  return names;
}

}  // namespace convene::rpc::testing
