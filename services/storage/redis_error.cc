#include "storage/redis_error.h"

#include <array>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace convene::storage {
namespace {

constexpr std::array<std::pair<absl::string_view, absl::StatusCode>, 9>
    kDomainCodes = {{
        {"NOT_FOUND", absl::StatusCode::kNotFound},
        {"ALREADY_EXISTS", absl::StatusCode::kAlreadyExists},
        {"FAILED_PRECONDITION", absl::StatusCode::kFailedPrecondition},
        {"ABORTED", absl::StatusCode::kAborted},
        {"INVALID_ARGUMENT", absl::StatusCode::kInvalidArgument},
        {"RESOURCE_EXHAUSTED", absl::StatusCode::kResourceExhausted},
        {"OUT_OF_RANGE", absl::StatusCode::kOutOfRange},
        {"UNAUTHENTICATED", absl::StatusCode::kUnauthenticated},
        {"PERMISSION_DENIED", absl::StatusCode::kPermissionDenied},
    }};

constexpr std::array<absl::string_view, 8> kTransientPrefixes = {
    "LOADING", "READONLY",    "MASTERDOWN", "BUSY",
    "TRYAGAIN", "CLUSTERDOWN", "NOREPLICAS", "OOM",
};

// The first word of a Redis error ("WRONGTYPE", "ERR", "CONVENE").
absl::string_view FirstWord(absl::string_view text) {
  return text.substr(0, text.find(' '));
}

}  // namespace

absl::Status RedisErrorToStatus(absl::string_view error,
                                absl::string_view context) {
  absl::string_view text = absl::StripAsciiWhitespace(error);
  absl::string_view word = FirstWord(text);
  // maxmemory reached with noeviction: say so plainly, without the script
  // hash and line Redis appends.
  if (word == "OOM" || absl::StrContains(text, "OOM command not allowed")) {
    return absl::UnavailableError(
        "Redis is out of memory: it refuses writes until memory is freed (reads still "
        "work); retry later");
  }
  // Redis names the failing script and line ("script: <sha1>, on
  // @user_script:12."): internals for operators, not for callers.
  if (size_t at = text.find(" script: "); at != absl::string_view::npos) {
    text = absl::StripTrailingAsciiWhitespace(text.substr(0, at));
  }
  if (word == kDomainErrorPrefix) {
    absl::string_view rest =
        absl::StripLeadingAsciiWhitespace(text.substr(word.size()));
    absl::string_view code = FirstWord(rest);
    absl::string_view message =
        absl::StripLeadingAsciiWhitespace(rest.substr(code.size()));
    for (const auto& [name, status_code] : kDomainCodes) {
      if (code == name) return absl::Status(status_code, message);
    }
    return absl::InternalError(absl::StrCat(
        "redis ", context, ": domain error with an unknown code: ", text));
  }
  for (absl::string_view prefix : kTransientPrefixes) {
    if (word == prefix) {
      return absl::UnavailableError(absl::StrCat("redis ", context, ": ", text));
    }
  }
  return absl::InternalError(absl::StrCat("redis ", context, ": ", text));
}

std::string DomainErrorText(absl::StatusCode code, absl::string_view message) {
  for (const auto& [name, status_code] : kDomainCodes) {
    if (code == status_code) {
      return absl::StrCat(kDomainErrorPrefix, " ", name, " ", message);
    }
  }
  return absl::StrCat(kDomainErrorPrefix, " ",
                      absl::StatusCodeToString(code), " ", message);
}

}  // namespace convene::storage
