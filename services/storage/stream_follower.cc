#include "storage/stream_follower.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "storage/keys.h"

namespace convene::storage {

StreamFollower::StreamFollower(PlannerFeed& feed, const core::Clock& clock,
                               StreamFollowerOptions options)
    : feed_(feed), clock_(clock), options_(std::move(options)) {}

absl::StatusOr<std::vector<std::string>> StreamFollower::EventsEndingAfter(absl::Time after) {
  if (!options_.events_ending_after) {
    return absl::FailedPreconditionError(
        "StreamFollowerOptions.events_ending_after is not set");
  }
  return options_.events_ending_after(after);
}

absl::Status StreamFollower::Refresh() {
  absl::StatusOr<std::map<std::string, std::string>> saved = feed_.Positions();
  if (!saved.ok()) return saved.status();
  std::map<std::string, std::string> positions;
  auto keep = [&](const std::string& key) {
    auto it = saved->find(key);
    positions[key] = it == saved->end() ? "0-0" : it->second;
  };
  keep(keys::CalendarChanges());
  if (!options_.follow_attendance) {
    positions_ = std::move(positions);
    refreshed_ = clock_.Now();
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> live =
      EventsEndingAfter(clock_.Now() - options_.after_end);
  if (!live.ok()) return live.status();
  for (const std::string& id : *live) keep(keys::AttendanceChanges(id));
  if (options_.catch_up_ended) {
    absl::StatusOr<std::vector<std::string>> all = EventsEndingAfter(absl::InfinitePast());
    if (!all.ok()) return all.status();
    std::map<std::string, std::string> ended;
    for (const std::string& id : *all) {
      const std::string key = keys::AttendanceChanges(id);
      if (positions.count(key)) continue;
      auto it = saved->find(key);
      ended[key] = it == saved->end() ? "0-0" : it->second;
    }
    absl::StatusOr<std::vector<std::string>> news = feed_.StreamsWithNews(ended);
    if (!news.ok()) return news.status();
    for (const std::string& key : *news) positions[key] = ended[key];
  }
  positions_ = std::move(positions);
  refreshed_ = clock_.Now();
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::vector<FeedEntry>>> StreamFollower::Next(
    int count, absl::Duration block) {
  absl::StatusOr<bool> lead = feed_.TryLead(options_.owner, options_.lease);
  if (!lead.ok()) return lead.status();
  if (!*lead) {
    leading_ = false;
    return std::nullopt;
  }
  if (!leading_ || clock_.Now() - refreshed_ >= options_.refresh) {
    if (absl::Status s = Refresh(); !s.ok()) return s;
    leading_ = true;
  }
  absl::StatusOr<std::vector<FeedEntry>> entries = feed_.Read(positions_, count, block);
  if (!entries.ok()) return entries.status();
  return *std::move(entries);
}

void StreamFollower::Advance(const FeedEntry& e) {
  positions_[e.stream] = e.id;
  if (e.stream != keys::CalendarChanges() || !options_.follow_attendance) return;
  auto id = e.fields.find("event");
  if (id != e.fields.end()) positions_.emplace(keys::AttendanceChanges(id->second), "0-0");
}

absl::StatusOr<int> FollowLoop::Drain() {
  int total = 0;
  while (true) {
    absl::StatusOr<int> n = step_(absl::ZeroDuration());
    if (!n.ok()) return n.status();
    if (*n == 0) return total;
    total += *n;
  }
}

void FollowLoop::Start(absl::Duration block) {
  thread_ = std::thread([this, block] {
    while (!stop_.HasBeenNotified()) {
      absl::StatusOr<int> n = step_(block);
      if (!n.ok()) {
        core::LogWarn(absl::StrCat(name_, ": ", n.status().ToString()));
        clock_.WaitFor(absl::Seconds(1), stop_);
      } else if (follower_ && !follower_->leading()) {
        clock_.WaitFor(follower_->options().lease / 3, stop_);
      }
    }
  });
}

void FollowLoop::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace convene::storage
