// A small thread-safe logger (Abseil 20220623 has no absl/log): one line per
// message on stderr, "2026-11-23T10:00:00.123Z INFO message".
//
//   LogInfo(absl::StrCat("listening on ", address));
//   LogWarn(absl::StrCat("redis slow: ", elapsed_ms, " ms"));
//   SetMinLogLevel(LogLevel::kWarn);  // e.g. quiet tests

#ifndef CONVENE_SERVICES_CORE_LOG_H_
#define CONVENE_SERVICES_CORE_LOG_H_

#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace convene::core {

// Severity, in increasing order.
enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Writes `message` as one line to stderr if `level` is at or above the
// threshold. Safe to call from any thread; lines never interleave.
void Log(LogLevel level, absl::string_view message);

// Log() at the named level.
void LogDebug(absl::string_view message);
void LogInfo(absl::string_view message);
void LogWarn(absl::string_view message);
void LogError(absl::string_view message);

// Messages below `level` are dropped from now on. The default is kInfo.
void SetMinLogLevel(LogLevel level);

// The current threshold.
LogLevel MinLogLevel();

// The line Log() writes for `message` at `time`, ending in '\n'. Control
// characters in `message` are escaped (a newline becomes the two characters
// "\n") so that one message is always one line.
std::string FormatLogLine(absl::Time time, LogLevel level,
                          absl::string_view message);

}  // namespace convene::core

#endif  // CONVENE_SERVICES_CORE_LOG_H_
