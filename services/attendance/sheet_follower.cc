#include "attendance/sheet_follower.h"

#include <map>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/blocking_call.h"
#include "core/log.h"
#include "storage/keys.h"
#include "storage/stream_range.h"

namespace convene::attendance {
namespace {

// Beside the stream positions in the follower's hash.
constexpr absl::string_view kAppliedField = "applied-count";

// Above the Redis client's own command timeout, so a slow Redis surfaces as
// its error rather than as this one.
constexpr absl::Duration kSheetWriteTimeout = absl::Seconds(10);

// The milliseconds part of a stream id "ms-seq".
absl::Time IdTime(absl::string_view id) {
  int64_t ms = 0;
  absl::string_view head = id.substr(0, id.find('-'));
  return absl::SimpleAtoi(head, &ms) ? absl::FromUnixMillis(ms) : absl::InfinitePast();
}

}  // namespace

absl::Status CheckSheetLag(absl::StatusOr<absl::Duration> lag) {
  if (!lag.ok()) return lag.status();
  if (*lag <= kMaxSheetLag) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "the oldest calendar change not applied to attendance sheets has waited ",
      absl::FormatDuration(absl::Trunc(*lag, absl::Milliseconds(1))), " (limit ",
      absl::FormatDuration(kMaxSheetLag), "): is the sheet follower running?"));
}

SheetFollower::SheetFollower(storage::RedisSyncClient& feed_redis,
                             storage::RedisClient& redis, SheetBuilder& builder,
                             const core::Clock& clock, SheetFollowerOptions options)
    : feed_redis_(feed_redis),
      redis_(redis),
      builder_(builder),
      clock_(clock),
      options_(std::move(options)),
      feed_(feed_redis, {storage::keys::SheetFollowerLease(),
                         storage::keys::SheetFollowerPositions()}),
      follow_(feed_, clock,
              {.owner = options_.owner, .lease = options_.lease, .follow_attendance = false}) {}

SheetFollower::~SheetFollower() { Stop(); }

absl::StatusOr<int> SheetFollower::Step(absl::Duration block) {
  absl::StatusOr<std::optional<std::vector<storage::FeedEntry>>> entries =
      follow_.Next(options_.batch, block);
  if (!entries.ok()) return entries.status();
  if (!*entries) {
    applied_.reset();  // another replica leads: its count, not ours
    return 0;
  }
  if ((*entries)->empty()) {
    if (absl::Status s = AnnounceApplied(); !s.ok()) return s;
    return 0;
  }
  if (!applied_) {
    absl::StatusOr<storage::RedisReply> saved = feed_redis_.Command(
        {"HGET", storage::keys::SheetFollowerPositions(), std::string(kAppliedField)});
    if (!saved.ok()) return saved.status();
    int64_t n = 0;
    if (!saved->is_nil() && !absl::SimpleAtoi(saved->text(), &n)) n = 0;
    applied_ = n;
  }
  if (absl::Status s = CheckForGap(); !s.ok()) return s;
  // Only each event's newest state in the batch matters.
  std::map<std::string, std::string> newest_doc;
  for (const storage::FeedEntry& e : **entries) {
    follow_.Advance(e);
    auto event = e.fields.find("event");
    auto doc = e.fields.find("doc");
    if (event == e.fields.end() || doc == e.fields.end()) continue;
    newest_doc[event->second] = doc->second;
  }
  for (const auto& [event, doc] : newest_doc) {
    absl::StatusOr<bool> written = core::BlockingCall<bool>(
        [&](auto done) { builder_.Apply(doc, std::move(done)); }, kSheetWriteTimeout);
    if (written.ok()) continue;
    // An event this machine cannot build a sheet for (a zone its tzdata
    // lacks) must not hold up every later change.
    if (absl::IsFailedPrecondition(written.status()) || absl::IsDataLoss(written.status()) ||
        absl::IsInvalidArgument(written.status())) {
      core::LogWarn(absl::StrCat("sheet follower: event ", event,
                                 " has no attendance sheet: ", written.status().message()));
      continue;
    }
    return written.status();
  }
  *applied_ += static_cast<int64_t>((*entries)->size());
  std::map<std::string, std::string> saved = follow_.positions();
  saved.emplace(kAppliedField, absl::StrCat(*applied_));
  // One HSET: the count never runs ahead of or behind the position.
  if (absl::Status s = feed_.SavePositions(saved); !s.ok()) return s;
  announced_ = absl::InfinitePast();  // announce the new position now
  if (absl::Status s = AnnounceApplied(); !s.ok()) return s;
  return static_cast<int>((*entries)->size());
}

absl::Status SheetFollower::CheckForGap() {
  absl::StatusOr<storage::RedisReply> info =
      feed_redis_.Command({"XINFO", "STREAM", storage::keys::CalendarChanges()});
  if (!info.ok()) return info.status();
  int64_t added = 0, length = 0;
  auto fields = info->elements();
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].text() == "entries-added") added = fields[i + 1].as_integer().value_or(0);
    if (fields[i].text() == "length") length = fields[i + 1].as_integer().value_or(0);
  }
  const int64_t trimmed = added - length;
  if (trimmed <= *applied_) return absl::OkStatus();
  const std::string gap =
      absl::StrCat("calendar changes were trimmed from ", storage::keys::CalendarChanges(),
                   " before attendance applied them (", trimmed - *applied_, " missed)");
  core::LogError(absl::StrCat("sheet follower: ", gap,
                              "; run convene-admin resheet to rebuild every sheet"));
  // Counted as applied: the mark stands for them until resheet clears it.
  applied_ = trimmed;
  return feed_redis_.Command({"SET", storage::keys::SheetFollowerGap(), gap}).status();
}

absl::Status SheetFollower::Health(absl::Duration timeout) {
  absl::StatusOr<storage::RedisReply> gap = core::BlockingCall<storage::RedisReply>(
      [&](auto done) {
        redis_.Command({"GET", storage::keys::SheetFollowerGap()}, std::move(done));
      },
      timeout);
  if (!gap.ok()) return gap.status();
  if (!gap->is_nil()) {
    return absl::UnavailableError(absl::StrCat(
        gap->text(), ": run convene-admin resheet --redis=ADDRESS to rebuild every sheet"));
  }
  return CheckSheetLag(Lag(timeout));
}

absl::Status SheetFollower::AnnounceApplied() {
  const absl::Time now = clock_.Now();
  if (now - announced_ < kAnnounceEvery) return absl::OkStatus();
  auto position = follow_.positions().find(storage::keys::CalendarChanges());
  if (position == follow_.positions().end()) return absl::OkStatus();
  announced_ = now;
  return feed_redis_
      .Command({"PUBLISH", storage::keys::AttendanceSheetsApplied(), position->second})
      .status();
}

absl::StatusOr<int> SheetFollower::ProcessAvailable() { return loop_.Drain(); }

void SheetFollower::Start() { loop_.Start(options_.block); }

void SheetFollower::Stop() { loop_.Stop(); }

absl::StatusOr<absl::Duration> SheetFollower::Lag(absl::Duration timeout) {
  const std::string stream = storage::keys::CalendarChanges();
  absl::StatusOr<storage::RedisReply> position = core::BlockingCall<storage::RedisReply>(
      [&](auto done) {
        redis_.Command({"HGET", storage::keys::SheetFollowerPositions(), stream},
                       std::move(done));
      },
      timeout);
  if (!position.ok()) return position.status();
  const std::string after =
      position->is_nil() ? "-" : absl::StrCat("(", position->text());
  absl::StatusOr<storage::RedisReply> next = core::BlockingCall<storage::RedisReply>(
      [&](auto done) {
        redis_.Command({"XRANGE", stream, after, "+", "COUNT", "1"}, std::move(done));
      },
      timeout);
  if (!next.ok()) return next.status();
  auto pending = next->elements();
  if (pending.empty() || pending[0].elements().empty()) return absl::ZeroDuration();
  return std::max(absl::ZeroDuration(),
                  clock_.Now() - IdTime(pending[0].elements()[0].text()));
}

}  // namespace convene::attendance
