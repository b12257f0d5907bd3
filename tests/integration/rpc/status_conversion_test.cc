#include "rpc/status_conversion.h"

#include <gtest/gtest.h>

#include <string>

namespace convene::rpc {
namespace {

TEST(StatusConversion, RoundTripsEveryCodeWithItsMessage) {
  for (int value = 1; value <= 16; ++value) {
    auto code = static_cast<absl::StatusCode>(value);
    absl::Status original(code, "the message");

    grpc::Status wire = ToGrpcStatus(original);
    EXPECT_EQ(static_cast<int>(wire.error_code()), value)
        << absl::StatusCodeToString(code);
    EXPECT_EQ(wire.error_message(), "the message");

    EXPECT_EQ(FromGrpcStatus(wire), original);
  }
}

TEST(StatusConversion, KeepsOkAsOk) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
  EXPECT_EQ(ToGrpcCode(absl::StatusCode::kOk), grpc::StatusCode::OK);
  EXPECT_EQ(FromGrpcCode(grpc::StatusCode::OK), absl::StatusCode::kOk);
}

TEST(StatusConversion, NamesCodesTheSameWayOnBothSides) {
  EXPECT_EQ(ToGrpcCode(absl::StatusCode::kNotFound),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcCode(absl::StatusCode::kUnauthenticated),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(FromGrpcCode(grpc::StatusCode::FAILED_PRECONDITION),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(FromGrpcCode(grpc::StatusCode::UNAVAILABLE),
            absl::StatusCode::kUnavailable);
}

TEST(StatusConversion, MapsValuesOutsideTheCanonicalCodesToUnknown) {
  EXPECT_EQ(FromGrpcCode(grpc::StatusCode::DO_NOT_USE),
            absl::StatusCode::kUnknown);
  EXPECT_EQ(FromGrpcCode(static_cast<grpc::StatusCode>(17)),
            absl::StatusCode::kUnknown);
  EXPECT_EQ(ToGrpcCode(static_cast<absl::StatusCode>(42)),
            grpc::StatusCode::UNKNOWN);

  absl::Status from_wire =
      FromGrpcStatus(grpc::Status(static_cast<grpc::StatusCode>(30), "odd"));
  EXPECT_EQ(from_wire.code(), absl::StatusCode::kUnknown);
  EXPECT_EQ(from_wire.message(), "odd");
}

// An error that echoes a huge id must still reach the client: gRPC refuses
// a grpc-message past its metadata limit (8 KiB by default), and the client
// then sees RESOURCE_EXHAUSTED instead of the code the server meant.
TEST(StatusConversion, CutsAnOverlongMessageAndKeepsItsCode) {
  const std::string id(3 << 20, 'x');
  grpc::Status wire =
      ToGrpcStatus(absl::NotFoundError("event_id: event " + id + " not found"));
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_LE(wire.error_message().size(), 1024u);
  EXPECT_EQ(wire.error_message().rfind("event_id: event xxx", 0), 0u);
  EXPECT_EQ(wire.error_message().substr(wire.error_message().size() - 3), "...");
}

TEST(StatusConversion, NeverCutsACharacterInTwo) {
  std::string greek;
  while (greek.size() < 4000) greek += "\u03a9";  // two bytes each
  for (const std::string& message : {greek, "a" + greek, "ab" + greek}) {
    const std::string cut = ToGrpcStatus(absl::InvalidArgumentError(message)).error_message();
    ASSERT_EQ(cut.substr(cut.size() - 3), "...");
    const std::string kept = cut.substr(0, cut.size() - 3);
    EXPECT_EQ(message.rfind(kept, 0), 0u);
    // What is kept ends after a whole character: the next byte starts one.
    EXPECT_NE(static_cast<unsigned char>(message[kept.size()]) & 0xC0, 0x80);
  }
}

TEST(StatusConversion, KeepsAMessageOfOrdinaryLengthWhole) {
  const std::string message(1000, 'm');
  EXPECT_EQ(ToGrpcStatus(absl::InternalError(message)).error_message(), message);
}

}  // namespace
}  // namespace convene::rpc
