#include "core/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace convene::core {

absl::Status PageTokenError(absl::string_view list_name) {
  return absl::InvalidArgumentError(
      absl::StrCat("page_token: not a token from ", list_name, " with these filters"));
}

std::string EncodePageToken(absl::string_view tag, absl::string_view position,
                            absl::string_view filters) {
  return absl::WebSafeBase64Escape(absl::StrCat(tag, "|", position, "|", filters));
}

absl::StatusOr<std::string> DecodePageToken(absl::string_view token, absl::string_view tag,
                                            absl::string_view filters,
                                            absl::string_view list_name) {
  std::string raw;
  const std::string prefix = absl::StrCat(tag, "|");
  const std::string suffix = absl::StrCat("|", filters);
  // Prefix and suffix, not a split: filters are caller texts and may hold
  // '|' themselves.
  if (!absl::WebSafeBase64Unescape(token, &raw) || raw.size() < prefix.size() + suffix.size() ||
      !absl::StartsWith(raw, prefix) || !absl::EndsWith(raw, suffix)) {
    return PageTokenError(list_name);
  }
  return raw.substr(prefix.size(), raw.size() - prefix.size() - suffix.size());
}

bool ParseIssuedNumber(absl::string_view text, int64_t min, int64_t max, int64_t& out) {
  int64_t value = 0;
  // SimpleAtoi alone takes "+3", " 4" and leading zeros.
  if (!absl::SimpleAtoi(text, &value) || absl::StrCat(value) != text || value < min ||
      value > max) {
    return false;
  }
  out = value;
  return true;
}

bool ParseIssuedNumber(absl::string_view text, uint64_t& out) {
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || absl::StrCat(value) != text) return false;
  out = value;
  return true;
}

absl::StatusOr<int64_t> DecodeOffsetPageToken(absl::string_view token, absl::string_view tag,
                                              absl::string_view filters,
                                              absl::string_view list_name) {
  if (token.empty()) return 0;
  absl::StatusOr<std::string> position = DecodePageToken(token, tag, filters, list_name);
  if (!position.ok()) return position.status();
  int64_t offset = 0;
  if (!ParseIssuedNumber(*position, 0, kMaxPageOffset, offset)) return PageTokenError(list_name);
  return offset;
}

}  // namespace convene::core
