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

TEST(RedisErrorToStatus, SaysOutOfMemoryPlainlyWithoutScriptInternals) {
  // What Redis 7 answers when a script writes at maxmemory (noeviction).
  absl::Status s = RedisErrorToStatus(
      "OOM command not allowed when used memory > 'maxmemory'. script: "
      "ed6ed863369856c07e5fbffa59695789d706db1e, on @user_script:27.",
      "script token_check");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(),
            "Redis is out of memory: it refuses writes until memory is freed (reads still "
            "work); retry later");
}

TEST(RedisErrorToStatus, LeavesOutTheScriptHashAndLine) {
  absl::Status s = RedisErrorToStatus(
      "ERR user_script:3: Script attempted to access nonexistent global variable 'x' "
      "script: 0123456789abcdef0123456789abcdef01234567, on @user_script:3.",
      "script s");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message().find("0123456789abcdef"), std::string::npos) << s.message();
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
