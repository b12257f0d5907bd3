#include "notification/change_follower.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/blocking_call.h"
#include "notification/fan_out.h"
#include "notification/store_call.h"
#include "storage/keys.h"

namespace convene::notification {

namespace {

// Registrations whose entries are applied to their copies at once.
constexpr int kApplyThreads = 8;

}  // namespace

storage::FollowKeys ReminderPlannerFollowKeys() {
  return {storage::keys::PlannerLease(), storage::keys::PlannerPositions()};
}

ChangeFollower::ChangeFollower(storage::PlannerFeed& feed, EventReader& events,
                               RegistrationCopies& registrations,
                               ReminderReplanner& planning, const core::Clock& clock,
                               ChangeFollowerOptions options)
    : feed_(feed),
      events_(events),
      registrations_(registrations),
      planning_(planning),
      options_(std::move(options)),
      // Ended events too: an erasure request for last year's workshop must
      // still reach its notifications.
      follow_(feed, clock,
              {.owner = options_.owner,
               .lease = options_.lease,
               .refresh = options_.refresh,
               .catch_up_ended = true,
               // Which events are live: notification's own copies.
               .events_ending_after =
                   [this](absl::Time after) {
                     return core::BlockingCall<std::vector<std::string>>(
                         [&](auto done) { events_.EventsEndingAfter(after, std::move(done)); },
                         kStoreCallTimeout);
                   }}) {}

ChangeFollower::~ChangeFollower() { Stop(); }

absl::StatusOr<int> ChangeFollower::Step(absl::Duration block) {
  absl::StatusOr<std::optional<std::vector<storage::FeedEntry>>> entries =
      follow_.Next(options_.batch, block);
  if (!entries.ok()) return entries.status();
  if (!*entries || (*entries)->empty()) return 0;

  // Coalesce: each event or registration is planned once per batch, after
  // all of the batch's entries (planning reads the copies as the batch left
  // them).
  std::set<std::string> events;
  std::map<std::string, std::string> newest_doc;
  std::set<std::pair<std::string, std::string>> registrations;
  // Each registration's entries, in the stream's order; different
  // registrations' copies are different keys, so they are applied several
  // at once (FanOut), each one's entries still one after another.
  struct RegistrationEntries {
    std::string event;
    std::string participant;
    std::vector<const storage::FeedEntry*> entries;
  };
  std::vector<RegistrationEntries> changed;
  std::map<std::pair<std::string, std::string>, size_t> changed_index;
  for (const storage::FeedEntry& e : **entries) {
    follow_.Advance(e);
    if (e.stream == storage::keys::CalendarChanges()) {
      auto id = e.fields.find("event");
      if (id == e.fields.end()) continue;
      events.insert(id->second);
      auto doc = e.fields.find("doc");
      if (doc != e.fields.end()) newest_doc[id->second] = doc->second;
      continue;
    }
    auto kind = e.fields.find("kind");
    auto participant = e.fields.find("participant");
    if (kind == e.fields.end() || participant == e.fields.end()) continue;
    // Check-ins and check-outs change no reminder.
    if (absl::StartsWith(kind->second, "checked_")) continue;
    std::string event = storage::keys::EventOfAttendanceChanges(e.stream);
    if (event.empty()) continue;
    // Planned after the batch unless its last word is an erasure (planning
    // then finds no copy anyway).
    if (kind->second == "participant_forgotten") {
      registrations.erase({event, participant->second});
    } else {
      registrations.emplace(event, participant->second);
    }
    auto [at, added] =
        changed_index.try_emplace({event, participant->second}, changed.size());
    if (added) changed.push_back({std::move(event), participant->second, {}});
    changed[at->second].entries.push_back(&e);
  }
  absl::Status applied = FanOut(changed.size(), kApplyThreads, [&](size_t i) -> absl::Status {
    const RegistrationEntries& r = changed[i];
    for (const storage::FeedEntry* e : r.entries) {
      const std::string& kind = e->fields.at("kind");
      if (kind == "participant_forgotten") {
        // At once, in the stream's order: the copy goes, so no planning of
        // this batch finds the person, and what was planned or sent before
        // goes. (A registration after it makes a new copy.)
        absl::StatusOr<bool> dropped = core::BlockingCall<bool>(
            [&](auto done) { registrations_.Forget(r.event, r.participant, std::move(done)); },
            kStoreCallTimeout);
        if (!dropped.ok()) return dropped.status();
        absl::StatusOr<storage::ReminderStore::Erased> erased =
            planning_.Forget(r.event, r.participant);
        if (!erased.ok()) return erased.status();
        continue;
      }
      if (kind == "registration_created") {
        if (absl::Status s = planning_.MarkAnnounced(r.event, r.participant); !s.ok()) return s;
      }
      // The copy follows every entry, in the stream's order.
      absl::StatusOr<bool> copied = core::BlockingCall<bool>(
          [&](auto done) { registrations_.Apply(r.event, e->fields, std::move(done)); },
          kStoreCallTimeout);
      if (!copied.ok() && !absl::IsDataLoss(copied.status())) return copied.status();
    }
    return absl::OkStatus();
  });
  if (!applied.ok()) return applied;
  // The copies first: planning reads them.
  for (const auto& [event, doc] : newest_doc) {
    absl::StatusOr<core::Event> copied = core::BlockingCall<core::Event>(
        [&](auto done) { events_.Remember(doc, std::move(done)); }, kStoreCallTimeout);
    // A document that does not parse is skipped (planning reports the event).
    if (!copied.ok() && !absl::IsDataLoss(copied.status())) return copied.status();
  }
  // Registrations that changed themselves first, also when their event
  // changed too: only a change of the registration announces a new one
  // (and marks it as known, so the event's re-plan keeps its notice).
  for (auto it = registrations.begin(); it != registrations.end();) {
    const std::string& event = it->first;
    std::vector<std::string> participants;
    for (; it != registrations.end() && it->first == event; ++it) participants.push_back(it->second);
    absl::StatusOr<int> n = planning_.PlanRegistrations(event, participants);
    if (!n.ok() && !absl::IsNotFound(n.status())) return n.status();
  }
  for (const std::string& event : events) {
    absl::StatusOr<int> n = planning_.PlanEvent(event);
    if (!n.ok() && !absl::IsNotFound(n.status())) return n.status();
  }
  if (absl::Status s = feed_.SavePositions(follow_.positions()); !s.ok()) return s;
  return static_cast<int>((*entries)->size());
}

absl::StatusOr<int> ChangeFollower::ProcessAvailable() { return loop_.Drain(); }

void ChangeFollower::Start() { loop_.Start(options_.block); }

void ChangeFollower::Stop() { loop_.Stop(); }

}  // namespace convene::notification
