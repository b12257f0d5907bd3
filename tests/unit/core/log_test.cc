#include "core/log.h"

#include <string>

#include "absl/time/time.h"
#include "core_test_util.h"
#include "gtest/gtest.h"

namespace convene::core {
namespace {

using testing::Utc;

TEST(FormatLogLine, WritesUtcMillisecondsLevelAndMessage) {
  EXPECT_EQ(FormatLogLine(Utc(2026, 11, 23, 10, 0) + absl::Milliseconds(123),
                          LogLevel::kInfo, "server started"),
            "2026-11-23T10:00:00.123Z INFO server started\n");
  EXPECT_EQ(FormatLogLine(Utc(2026, 11, 23, 10, 0), LogLevel::kWarn, "slow"),
            "2026-11-23T10:00:00.000Z WARN slow\n");
  EXPECT_EQ(FormatLogLine(Utc(2026, 11, 23, 10, 0), LogLevel::kError, "x"),
            "2026-11-23T10:00:00.000Z ERROR x\n");
  EXPECT_EQ(FormatLogLine(Utc(2026, 11, 23, 10, 0), LogLevel::kDebug, "x"),
            "2026-11-23T10:00:00.000Z DEBUG x\n");
}

TEST(FormatLogLine, KeepsOneMessageOnOneLine) {
  EXPECT_EQ(FormatLogLine(Utc(2026, 11, 23, 10, 0), LogLevel::kInfo,
                          "a\nb\r\tc\x01 \"Zürich\""),
            "2026-11-23T10:00:00.000Z INFO a\\nb\\r\\tc\\x01 \"Zürich\"\n");
}

class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = MinLogLevel(); }
  void TearDown() override { SetMinLogLevel(saved_); }

 private:
  LogLevel saved_ = LogLevel::kInfo;
};

TEST_F(LogTest, DropsMessagesBelowTheThreshold) {
  SetMinLogLevel(LogLevel::kWarn);
  EXPECT_EQ(MinLogLevel(), LogLevel::kWarn);
  ::testing::internal::CaptureStderr();
  LogInfo("quiet");
  LogWarn("loud");
  LogError("louder");
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(err.find("quiet"), std::string::npos);
  EXPECT_NE(err.find("Z WARN loud\n"), std::string::npos) << err;
  EXPECT_NE(err.find("Z ERROR louder\n"), std::string::npos) << err;
}

}  // namespace
}  // namespace convene::core
