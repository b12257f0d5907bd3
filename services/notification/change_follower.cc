#include "notification/change_follower.h"

#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/keys.h"

namespace convene::notification {

ChangeFollower::ChangeFollower(storage::PlannerFeed& feed,
                               ReminderReplanner& planning,
                               const core::Clock& clock,
                               ChangeFollowerOptions options)
    : feed_(feed),
      planning_(planning),
      options_(std::move(options)),
      follow_(feed, clock,
              {.owner = options_.owner, .lease = options_.lease, .refresh = options_.refresh}) {}

ChangeFollower::~ChangeFollower() { Stop(); }

absl::StatusOr<int> ChangeFollower::Step(absl::Duration block) {
  absl::StatusOr<std::optional<std::vector<storage::FeedEntry>>> entries =
      follow_.Next(options_.batch, block);
  if (!entries.ok()) return entries.status();
  if (!*entries || (*entries)->empty()) return 0;

  // Coalesce: each event or registration is planned once per batch, after
  // all of the batch's entries (planning reads the current state anyway).
  std::set<std::string> events;
  std::set<std::pair<std::string, std::string>> registrations;
  for (const storage::FeedEntry& e : **entries) {
    follow_.Advance(e);
    if (e.stream == storage::keys::CalendarChanges()) {
      auto id = e.fields.find("event");
      if (id != e.fields.end()) events.insert(id->second);
      continue;
    }
    auto kind = e.fields.find("kind");
    auto participant = e.fields.find("participant");
    if (kind == e.fields.end() || participant == e.fields.end()) continue;
    // Check-ins and check-outs change no reminder.
    if (absl::StartsWith(kind->second, "checked_")) continue;
    registrations.emplace(storage::keys::EventOfAttendanceChanges(e.stream),
                          participant->second);
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
  if (absl::Status s = feed_.SavePositions(follow_.positions()); !s.ok()) return s;
  return static_cast<int>((*entries)->size());
}

absl::StatusOr<int> ChangeFollower::ProcessAvailable() { return loop_.Drain(); }

void ChangeFollower::Start() { loop_.Start(options_.block); }

void ChangeFollower::Stop() { loop_.Stop(); }

}  // namespace convene::notification
