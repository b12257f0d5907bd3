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

}  // namespace
}  // namespace convene::rpc
