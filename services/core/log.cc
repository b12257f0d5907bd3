#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace convene::core {
namespace {

std::atomic<LogLevel> min_level{LogLevel::kInfo};

absl::string_view LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "?";
}

// One message must stay one line: control characters become escapes. Other
// bytes (quotes, UTF-8) pass through so messages stay readable.
std::string EscapeControlCharacters(absl::string_view message) {
  std::string out;
  out.reserve(message.size());
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      absl::StrAppendFormat(&out, "\\x%02x", static_cast<int>(byte));
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string FormatLogLine(absl::Time time, LogLevel level,
                          absl::string_view message) {
  return absl::StrCat(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone()), " ",
      LevelName(level), " ", EscapeControlCharacters(message), "\n");
}

void Log(LogLevel level, absl::string_view message) {
  if (level < min_level.load(std::memory_order_relaxed)) return;
  const std::string line = FormatLogLine(absl::Now(), level, message);
  // One fwrite per line: stdio locks the stream for the call, so concurrent
  // lines do not interleave. stderr is unbuffered, so nothing is lost on a
  // crash.
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void LogDebug(absl::string_view message) { Log(LogLevel::kDebug, message); }
void LogInfo(absl::string_view message) { Log(LogLevel::kInfo, message); }
void LogWarn(absl::string_view message) { Log(LogLevel::kWarn, message); }
void LogError(absl::string_view message) { Log(LogLevel::kError, message); }

void SetMinLogLevel(LogLevel level) {
  min_level.store(level, std::memory_order_relaxed);
}

LogLevel MinLogLevel() { return min_level.load(std::memory_order_relaxed); }

}  // namespace convene::core
