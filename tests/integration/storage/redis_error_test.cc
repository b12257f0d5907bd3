#include "storage/redis_error.h"

#include <string>

#include "gtest/gtest.h"

namespace convene::storage {
namespace {

TEST(RedisErrorToStatus, MapsEveryDomainCodeWithTheBareMessage) {
  for (absl::StatusCode code :
       {absl::StatusCode::kNotFound, absl::StatusCode::kAlreadyExists,
        absl::StatusCode::kFailedPrecondition, absl::StatusCode::kAborted,
        absl::StatusCode::kInvalidArgument,
        absl::StatusCode::kResourceExhausted, absl::StatusCode::kOutOfRange}) {
    absl::Status s = RedisErrorToStatus(
        DomainErrorText(code, "event 42 not found"), "EVALSHA");
    EXPECT_EQ(s.code(), code) << s;
    EXPECT_EQ(s.message(), "event 42 not found");
  }
}

TEST(RedisErrorToStatus, FormatsDomainErrorsAsScriptsMust) {
  EXPECT_EQ(DomainErrorText(absl::StatusCode::kNotFound, "event 42 not found"),
            "CONVENE NOT_FOUND event 42 not found");
}

TEST(RedisErrorToStatus, TreatsAnUnknownDomainCodeAsInternal) {
  absl::Status s = RedisErrorToStatus("CONVENE TEAPOT short and stout", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_NE(s.message().find("TEAPOT"), std::string::npos);
}

TEST(RedisErrorToStatus, TreatsTransientServerStatesAsUnavailable) {
  for (const char* error :
       {"LOADING Redis is loading the dataset in memory",
        "READONLY You can't write against a read only replica.",
        "MASTERDOWN Link with MASTER is down",
        "BUSY Redis is busy running a script",
        "OOM command not allowed when used memory > 'maxmemory'."}) {
    EXPECT_EQ(RedisErrorToStatus(error, "SET").code(),
              absl::StatusCode::kUnavailable)
        << error;
  }
}

TEST(RedisErrorToStatus, TreatsOtherErrorsAsInternalNamingTheCommand) {
  absl::Status s = RedisErrorToStatus(
      "WRONGTYPE Operation against a key holding the wrong kind of value",
      "HGET");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(),
            "redis HGET: WRONGTYPE Operation against a key holding the wrong "
            "kind of value");
  // A Lua runtime error is a bug, not a domain error, even if it mentions one.
  EXPECT_EQ(RedisErrorToStatus("ERR user_script:1: CONVENE NOT_FOUND x",
                               "script s")
                .code(),
            absl::StatusCode::kInternal);
}

}  // namespace
}  // namespace convene::storage
