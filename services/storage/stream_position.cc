#include "storage/stream_position.h"

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/keys.h"
#include "storage/stream_range.h"

namespace convene::storage {
namespace {

// Inside the base64: "p1|<epoch>|<ms>-<seq>". The version lets the format
// change without old tokens being misread.
constexpr absl::string_view kVersion = "p1";

// Hex, or empty: a stream with no entry yet has no epoch.
bool IsEpoch(absl::string_view epoch) {
  if (epoch.size() > 32) return false;
  for (char c : epoch) {
    if (!absl::ascii_isxdigit(c)) return false;
  }
  return true;
}

}  // namespace

std::string EncodeStreamPosition(const StreamPosition& position) {
  return absl::WebSafeBase64Escape(
      absl::StrCat(kVersion, "|", position.epoch, "|", position.stream_id));
}

absl::StatusOr<StreamPosition> DecodeStreamPosition(absl::string_view token,
                                                    absl::string_view field) {
  std::string raw;
  std::vector<std::string> parts;
  if (token.size() <= 200 && absl::WebSafeBase64Unescape(token, &raw)) {
    parts = absl::StrSplit(raw, '|');
  }
  if (parts.size() != 3 || parts[0] != kVersion || !IsEpoch(parts[1]) ||
      !IsStreamId(parts[2])) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": not a position this service issued"));
  }
  return StreamPosition{std::move(parts[1]), std::move(parts[2])};
}

void ReadStreamHead(RedisClient& redis, const std::string& stream_key,
                    absl::AnyInvocable<void(absl::StatusOr<std::string>)> done) {
  redis.Pipeline(
      {{"GET", keys::StreamEpoch(stream_key)}, {"XINFO", "STREAM", stream_key}},
      [done = std::move(done)](
          absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> replies) mutable {
        if (!replies.ok()) return done(replies.status());
        if (!(*replies)[0].ok()) return done((*replies)[0].status());
        std::string epoch = (*replies)[0]->is_nil() ? "" : (*replies)[0]->text();
        std::string last = "0-0";
        const absl::StatusOr<RedisReply>& info = (*replies)[1];
        // "no such key" until the first entry is written.
        if (!info.ok() && !absl::StrContains(info.status().message(), "no such key")) {
          return done(info.status());
        }
        if (info.ok()) {
          auto fields = info->elements();
          for (size_t i = 0; i + 1 < fields.size(); i += 2) {
            if (fields[i].text() == "last-generated-id") last = fields[i + 1].text();
          }
        }
        done(EncodeStreamPosition({std::move(epoch), std::move(last)}));
      });
}

bool PositionFitsEpoch(const StreamPosition& position, absl::string_view epoch) {
  return position.epoch == epoch || (position.epoch.empty() && position.stream_id == "0-0");
}

}  // namespace convene::storage
