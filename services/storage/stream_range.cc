#include "storage/stream_range.h"

#include <cstdint>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/page_token.h"
#include "storage/keys.h"

namespace convene::storage {
namespace {

bool ParseStreamId(absl::string_view id, uint64_t& ms, uint64_t& seq) {
  std::pair<absl::string_view, absl::string_view> parts =
      absl::StrSplit(id, absl::MaxSplits('-', 1));
  // Only ids as Redis writes them: "1-1 " reached XRANGE (an INTERNAL
  // error) and " 1-1" was read as 1-1.
  return core::ParseIssuedNumber(parts.first, ms) && core::ParseIssuedNumber(parts.second, seq);
}

}  // namespace

bool IsStreamId(absl::string_view id) {
  uint64_t ms, seq;
  return ParseStreamId(id, ms, seq);
}

bool StreamIdLess(absl::string_view a, absl::string_view b) {
  uint64_t ams, aseq, bms, bseq;
  if (!ParseStreamId(a, ams, aseq) || !ParseStreamId(b, bms, bseq)) return false;
  return std::tie(ams, aseq) < std::tie(bms, bseq);
}

void ReadStreamAfter(RedisClient& redis, std::string key, std::string after_token,
                     int count, StreamPositionWording wording,
                     absl::AnyInvocable<void(absl::StatusOr<StreamRange>)> done) {
  StreamPosition after;
  if (!after_token.empty()) {
    absl::StatusOr<StreamPosition> decoded = DecodeStreamPosition(after_token, wording.field);
    if (!decoded.ok()) return done(decoded.status());
    after = *std::move(decoded);
  }
  std::string from = after_token.empty() ? "-" : absl::StrCat("(", after.stream_id);
  std::vector<std::vector<std::string>> commands = {
      {"GET", keys::StreamEpoch(key)},
      {"XINFO", "STREAM", key},
      {"XRANGE", key, std::move(from), "+", "COUNT", absl::StrCat(count)}};
  // Every position names an entry that was read (or "0-0", the start).
  if (!after_token.empty()) {
    commands.push_back({"XRANGE", key, after.stream_id, after.stream_id, "COUNT", "1"});
  }
  redis.Pipeline(
      std::move(commands),
      [from_start = after_token.empty(), after = std::move(after),
       wording = std::move(wording), done = std::move(done)](
          absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> replies) mutable {
        if (!replies.ok()) return done(replies.status());
        if (!(*replies)[0].ok()) return done((*replies)[0].status());
        StreamRange range;
        range.last_id = "0-0";
        range.epoch = (*replies)[0]->is_nil() ? "" : (*replies)[0]->text();
        // A token of another epoch: another Redis, or this one before it
        // was wiped (its stream ids mean nothing here, even when they exist).
        if (!from_start && !PositionFitsEpoch(after, range.epoch)) {
          return done(absl::FailedPreconditionError(absl::StrCat(
              wording.field, ": not a position of this feed (it was issued by another "
              "Redis, or by this one before its data was reset); ", wording.resync)));
        }
        // The stream is only ever trimmed from its front. Entries after
        // `after` are lost when something was trimmed and `after` lies
        // before the first entry still kept (conservatively also when
        // `after` is exactly the last entry trimmed).
        int64_t added = 0, length = 0;
        std::string first_kept;
        // XINFO fails with "no such key" until the first entry is written.
        if ((*replies)[1].ok()) {
          auto info = (*replies)[1]->elements();
          for (size_t i = 0; i + 1 < info.size(); i += 2) {
            const std::string& name = info[i].text();
            const RedisReply& value = info[i + 1];
            if (name == "last-generated-id") range.last_id = value.text();
            if (name == "entries-added") added = value.as_integer().value_or(0);
            if (name == "length") length = value.as_integer().value_or(0);
            if (name == "first-entry" && value.is_array() &&
                !value.elements().empty()) {
              first_kept = value.elements()[0].text();
            }
          }
        }
        // A position after the newest entry was never issued by this feed
        // (a made-up id with a real epoch). Reading on from it would skip
        // every change up to it without a word.
        if (!from_start && StreamIdLess(range.last_id, after.stream_id)) {
          return done(absl::FailedPreconditionError(absl::StrCat(
              wording.field, ": ", after.stream_id,
              " is not a position of this feed (its newest is ", range.last_id, "); ",
              wording.resync)));
        }
        const bool trimmed = added > length;
        const bool from_start_lost = from_start && !wording.empty_is_oldest_kept;
        if (trimmed && (from_start_lost ||
                        (!from_start && StreamIdLess(after.stream_id, first_kept)))) {
          return done(absl::FailedPreconditionError(absl::StrCat(
              wording.field, " expired: entries after it are no longer kept; ",
              wording.resync)));
        }
        // The entry a position names is gone while later ones exist: Redis
        // came back from a copy older than the position (a restart from an
        // older snapshot, a failover to a replica that lagged) and has been
        // written to since. The reader holds changes this feed no longer
        // has; reading on would keep them for ever without a word.
        if (!from_start && after.stream_id != "0-0" && after.stream_id != range.last_id &&
            replies->size() > 3 && (*replies)[3].ok() && (*replies)[3]->is_array() &&
            (*replies)[3]->elements().empty()) {
          return done(absl::FailedPreconditionError(absl::StrCat(
              wording.field, ": ", after.stream_id,
              " is no longer in this feed, though later changes are (Redis lost its "
              "newest writes, from a restart or a failover, after this position was "
              "issued); ", wording.resync)));
        }
        if (!(*replies)[2].ok()) return done((*replies)[2].status());
        auto entries = (*replies)[2]->elements();
        range.entries.assign(entries.begin(), entries.end());
        done(std::move(range));
      });
}

}  // namespace convene::storage
