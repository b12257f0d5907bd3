#include "notification/change_follower.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/log.h"
#include "storage/keys.h"

namespace convene::notification {

ChangeFollower::ChangeFollower(storage::PlannerFeed& feed,
                               ReminderPlanning& planning,
                               const core::Clock& clock,
                               ChangeFollowerOptions options)
    : feed_(feed), planning_(planning), clock_(clock), options_(std::move(options)) {}

ChangeFollower::~ChangeFollower() { Stop(); }

absl::Status ChangeFollower::Refresh() {
  absl::StatusOr<std::map<std::string, std::string>> saved = feed_.Positions();
  if (!saved.ok()) return saved.status();
  absl::StatusOr<std::vector<std::string>> live = feed_.LiveEvents(clock_.Now());
  if (!live.ok()) return live.status();
  std::map<std::string, std::string> positions;
  auto keep = [&](const std::string& key) {
    auto it = saved->find(key);
    positions[key] = it == saved->end() ? "0-0" : it->second;
  };
  keep(storage::keys::CalendarChanges());
  for (const std::string& id : *live) keep(storage::keys::AttendanceChanges(id));
  positions_ = std::move(positions);
  refreshed_ = clock_.Now();
  return absl::OkStatus();
}

absl::StatusOr<int> ChangeFollower::Step(absl::Duration block) {
  absl::StatusOr<bool> lead = feed_.TryLead(options_.owner, options_.lease);
  if (!lead.ok()) return lead.status();
  if (!*lead) {
    leading_ = false;
    return 0;
  }
  if (!leading_ || clock_.Now() - refreshed_ >= options_.refresh) {
    // Another replica may have moved the positions while this one did not
    // lead: start from what Redis says.
    if (absl::Status s = Refresh(); !s.ok()) return s;
    leading_ = true;
  }
  absl::StatusOr<std::vector<storage::FeedEntry>> entries =
      feed_.Read(positions_, options_.batch, block);
  if (!entries.ok()) return entries.status();
  if (entries->empty()) return 0;

  // Coalesce: each event or registration is planned once per batch, after
  // all of the batch's entries (planning reads the current state anyway).
  std::set<std::string> events;
  std::set<std::pair<std::string, std::string>> registrations;
  for (const storage::FeedEntry& e : *entries) {
    positions_[e.stream] = e.id;
    if (e.stream == storage::keys::CalendarChanges()) {
      auto id = e.fields.find("event");
      if (id == e.fields.end()) continue;
      events.insert(id->second);
      // A new event's attendance stream is followed from its first entry.
      positions_.emplace(storage::keys::AttendanceChanges(id->second), "0-0");
      continue;
    }
    auto kind = e.fields.find("kind");
    auto participant = e.fields.find("participant");
    if (kind == e.fields.end() || participant == e.fields.end()) continue;
    // Check-ins and check-outs change no reminder.
    if (absl::StartsWith(kind->second, "checked_")) continue;
    registrations.emplace(storage::keys::EventOfAttendanceChanges(e.stream), participant->second);
  }
  for (const std::string& event : events) {
    absl::StatusOr<int> n = planning_.PlanEvent(event);
    if (!n.ok() && !absl::IsNotFound(n.status())) return n.status();
  }
  for (const auto& [event, participant] : registrations) {
    if (event.empty() || events.count(event)) continue;  // planned just now
    absl::StatusOr<int> n = planning_.PlanRegistration(event, participant);
    if (!n.ok() && !absl::IsNotFound(n.status())) return n.status();
  }
  if (absl::Status s = feed_.SavePositions(positions_); !s.ok()) return s;
  return static_cast<int>(entries->size());
}

absl::StatusOr<int> ChangeFollower::ProcessAvailable() {
  int total = 0;
  while (true) {
    absl::StatusOr<int> n = Step(absl::ZeroDuration());
    if (!n.ok()) return n.status();
    if (*n == 0) return total;
    total += *n;
  }
}

void ChangeFollower::Start() {
  thread_ = std::thread([this] {
    while (!stop_.HasBeenNotified()) {
      absl::StatusOr<int> n = Step(options_.block);
      if (!n.ok()) {
        core::LogWarn(absl::StrCat("reminder planner: ", n.status().ToString()));
        stop_.WaitForNotificationWithTimeout(absl::Seconds(1));
      } else if (!leading_) {
        // Another replica plans; look again before its lease could lapse.
        stop_.WaitForNotificationWithTimeout(options_.lease / 3);
      }
    }
  });
}

void ChangeFollower::Stop() {
  if (!stop_.HasBeenNotified()) stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

}  // namespace convene::notification
