#include "rpc/raw_message.h"

#include "absl/strings/str_cat.h"

namespace convene::rpc {

absl::Status ParseRawRequest(const grpc::ByteBuffer& bytes, google::protobuf::Message& request) {
  if (!bytes.Valid()) return absl::OkStatus();
  grpc::Slice whole;
  if (!bytes.DumpToSingleSlice(&whole).ok() ||
      !request.ParseFromArray(whole.begin(), static_cast<int>(whole.size()))) {
    return absl::InvalidArgumentError(
        absl::StrCat("request: not a ", request.GetDescriptor()->full_name()));
  }
  return absl::OkStatus();
}

}  // namespace convene::rpc
