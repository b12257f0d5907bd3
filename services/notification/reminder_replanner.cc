#include "notification/reminder_replanner.h"

#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/blocking_call.h"
#include "core/day_hours.h"
#include "core/local_date_time.h"
#include "core/event_days.h"
#include "core/icalendar.h"
#include "core/notice.h"
#include "core/reminder_message.h"
#include "core/zone.h"
#include "mapping/registration_mapping.h"
#include "notification/fan_out.h"
#include "notification/store_call.h"
#include "rpc/proto_time.h"

namespace convene::notification {
namespace {

// Registrations planned at once by PlanRegistrations and PlanEvent. Each
// waits for Redis three or four times; with eight in flight the planner
// shares its hand-offs to the Redis loop instead of waking a thread for
// every command (30,000 bulk registrations took 18 s to plan one at a
// time, 10 to 14 s this way, on two shared cores).
constexpr int kPlanningThreads = 8;

}  // namespace

v1::NotificationKind NoticeKindToProto(core::NoticeKind kind) {
  switch (kind) {
    case core::NoticeKind::kCancelled: return v1::NOTIFICATION_KIND_REGISTRATION_CANCELLED;
    case core::NoticeKind::kRescheduled: return v1::NOTIFICATION_KIND_RESCHEDULED;
    case core::NoticeKind::kPromoted: return v1::NOTIFICATION_KIND_PROMOTED;
    case core::NoticeKind::kDayCancelled: return v1::NOTIFICATION_KIND_DAY_CANCELLED;
    case core::NoticeKind::kModeChanged: return v1::NOTIFICATION_KIND_MODE_CHANGED;
    case core::NoticeKind::kConfirmed: return v1::NOTIFICATION_KIND_REGISTRATION_CONFIRMED;
    case core::NoticeKind::kWaitlisted: return v1::NOTIFICATION_KIND_WAITLISTED;
    case core::NoticeKind::kVenueChanged: return v1::NOTIFICATION_KIND_VENUE_CHANGED;
  }
  return v1::NOTIFICATION_KIND_UNSPECIFIED;
}

std::optional<core::NoticeKind> NoticeKindFromProto(int kind) {
  for (int k = 0; k <= static_cast<int>(core::NoticeKind::kVenueChanged); ++k) {
    if (NoticeKindToProto(static_cast<core::NoticeKind>(k)) == kind) {
      return static_cast<core::NoticeKind>(k);
    }
  }
  return std::nullopt;
}

namespace {

const core::Session* FindSession(const core::Event& event, const std::string& id) {
  for (const core::Session& s : event.sessions) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace

v1::ReminderPolicy PolicyToProto(const core::ReminderPolicy& policy) {
  v1::ReminderPolicy wire;
  wire.set_event_id(policy.event_id);
  for (absl::Duration d : policy.before_event) {
    *wire.add_before_event() = rpc::DurationToProto(d);
  }
  for (absl::Duration d : policy.before_each_day) {
    *wire.add_before_each_day() = rpc::DurationToProto(d);
  }
  wire.set_is_default(policy.is_default);
  *wire.mutable_update_time() = rpc::TimeToProto(policy.update_time);
  for (core::NoticeKind k : policy.muted_notices) wire.add_muted_notices(NoticeKindToProto(k));
  return wire;
}

core::ReminderPolicy PolicyFromProto(const v1::ReminderPolicy& wire) {
  core::ReminderPolicy policy;
  policy.event_id = wire.event_id();
  for (const auto& d : wire.before_event()) {
    policy.before_event.push_back(rpc::DurationFromProto(d));
  }
  for (const auto& d : wire.before_each_day()) {
    policy.before_each_day.push_back(rpc::DurationFromProto(d));
  }
  policy.is_default = wire.is_default();
  for (int k : wire.muted_notices()) {
    if (std::optional<core::NoticeKind> kind = NoticeKindFromProto(k)) {
      policy.muted_notices.push_back(*kind);
    }
  }
  if (wire.has_update_time()) policy.update_time = rpc::TimeFromProto(wire.update_time());
  return policy;
}

v1::Notification RenderPlannedReminder(const core::Event& event,
                                       const core::Registration& registration,
                                       const core::PlannedReminder& reminder) {
  const core::ParticipantInfo& who = registration.participant;
  core::ReminderMessageInput in;
  in.language = who.language;
  in.participant_time_zone = who.time_zone.empty() ? event.time_zone : who.time_zone;
  in.venue_time_zone = event.time_zone;
  in.event_title = event.title;
  in.session_title = reminder.session_title;
  in.venue_city = event.venue.city.empty() ? event.city : event.venue.city;
  in.starts = reminder.starts;
  in.lead = reminder.offset;
  in.mode = reminder.mode;
  in.venue_name = event.venue.name;
  in.venue_address = event.venue.address;
  in.platform = event.online.platform;
  in.join_url = event.online.join_url;
  if (const core::Session* s = FindSession(event, reminder.session_id)) {
    in.join_url = core::EffectiveJoinUrl(event, *s);
    if (!s->room.empty() && reminder.mode == core::AttendanceMode::kInPerson) {
      in.venue_name = absl::StrCat(in.venue_name, in.venue_name.empty() ? "" : ", ", s->room);
    }
  }
  in.recipient_name = who.display_name;
  core::RenderedMessage text =
      reminder.kind == core::ReminderKind::kCancellation
          ? core::RenderCancellationNotice(in, event.cancel_reason)
          : core::RenderReminder(in);

  v1::Notification n;
  const std::string key = storage::ReminderStore::ReminderKey(
      event.id, who.participant_id, reminder.reminder_id);
  n.set_idempotency_key(absl::StrCat(key, "/r", event.revision));
  n.set_kind(reminder.kind == core::ReminderKind::kCancellation
                 ? v1::NOTIFICATION_KIND_CANCELLATION_NOTICE
                 : v1::NOTIFICATION_KIND_REMINDER);
  n.set_event_id(event.id);
  n.set_event_revision(event.revision);
  n.set_participant_id(who.participant_id);
  n.set_recipient_name(who.display_name);
  n.set_recipient_email(who.email);
  n.set_language(text.language);
  n.set_time_zone(in.participant_time_zone);
  n.set_subject(std::move(text.subject));
  n.set_body(std::move(text.body));
  n.set_day(core::FormatLocalDate(reminder.day));
  n.set_mode(mapping::ModeToProto(reminder.mode));
  *n.mutable_due_time() = rpc::TimeToProto(reminder.due);
  n.set_state(v1::NOTIFICATION_STATE_PENDING);
  n.set_reminder_id(reminder.reminder_id);
  n.set_reply_to_name(event.organiser_contact.name);
  n.set_reply_to_email(event.organiser_contact.email);
  return n;
}

absl::StatusOr<core::ReminderPolicy> ReminderReplanner::Policy(
    const std::string& event_id) {
  absl::StatusOr<std::optional<std::string>> stored =
      core::BlockingCall<std::optional<std::string>>(
          [&](auto done) { reminders_.GetPolicy(event_id, std::move(done)); }, kStoreCallTimeout);
  if (!stored.ok()) return stored.status();
  return PolicyFromStored(event_id, *stored);
}

absl::StatusOr<core::ReminderPolicy> PolicyFromStored(const std::string& event_id,
                                                      const std::optional<std::string>& stored) {
  if (!stored.has_value()) return core::DefaultReminderPolicy(event_id);
  v1::ReminderPolicy wire;
  if (!wire.ParseFromString(*stored)) {
    return absl::DataLossError(absl::StrCat("reminder policy of ", event_id,
                                            " is not readable"));
  }
  return PolicyFromProto(wire);
}

namespace {

// The days with a seat, as an invitation shows them.
std::vector<core::NoticeDay> SeatsOf(const core::NoticeState& state) {
  std::vector<core::NoticeDay> seats;
  for (core::NoticeDay d : state.days) {
    if (d.status != core::RegistrationStatus::kConfirmed) continue;
    d.waitlist_position = 0;
    seats.push_back(std::move(d));
  }
  return seats;
}

// Who and what one participant's calendar entry for the event is: its UID
// (stable for the life of the registration, so each REQUEST or CANCEL
// updates the same entry), the sequence of this version, organiser and
// attendee.
core::Invitation InvitationOf(const core::Event& event, const core::Registration& registration,
                              int64_t sequence) {
  core::Invitation inv;
  inv.uid = absl::StrCat(event.id, "-", registration.participant.participant_id, "@convene");
  inv.sequence = sequence;
  inv.stamp = absl::Now();
  inv.summary = event.title;
  inv.organiser_name = event.organiser_contact.name;
  inv.organiser_email = event.organiser_contact.email;
  inv.attendee_name = registration.participant.display_name;
  inv.attendee_email = registration.participant.email;
  return inv;
}

// The calendar invitation a notice carries: the days with a seat (REQUEST),
// or CANCEL once none is left for someone told of a seat before, whatever
// the notice's headline (a mode change onto a full waiting list leaves no
// seat either); none without an organiser address (iTIP needs an
// ORGANIZER), for a waiting-list notice that leaves the seats as they
// were (a day joining a waiting list changes no calendar entry), or when
// nothing was ever confirmed.
std::optional<std::string> InvitationFor(const core::Event& event, const core::Zone& zone,
                                         const core::Registration& registration,
                                         core::NoticeKind kind, const core::NoticeState* told,
                                         const core::NoticeState& now, int64_t sequence) {
  if (event.organiser_contact.email.empty()) return std::nullopt;
  absl::StatusOr<std::vector<core::EventDay>> days =
      core::SplitIntoLocalDays(zone, event.start_local, event.end_local, event.local_time_policy);
  if (!days.ok()) return std::nullopt;
  core::Invitation inv = InvitationOf(event, registration, sequence);
  for (const core::NoticeDay& d : now.days) {
    if (d.status != core::RegistrationStatus::kConfirmed) continue;
    auto day = std::find_if(days->begin(), days->end(),
                            [&](const core::EventDay& e) { return e.date == d.date; });
    if (day == days->end()) continue;
    const bool online = d.mode == core::AttendanceMode::kOnline;
    inv.days.push_back({d.starts, std::max(core::DayEnd(event, zone, d.date, d.mode), d.starts), d.where,
                        online ? absl::StrCat("Online: ", d.where) : "In person"});
  }
  inv.cancel = inv.days.empty();
  if (inv.cancel) {
    const bool had_seat = told != nullptr &&
        std::any_of(told->days.begin(), told->days.end(), [](const core::NoticeDay& d) {
          return d.status == core::RegistrationStatus::kConfirmed;
        });
    if (!had_seat) return std::nullopt;  // no calendar holds the event: nothing to cancel
  } else if (kind == core::NoticeKind::kWaitlisted && told != nullptr &&
             SeatsOf(*told) == SeatsOf(now)) {
    return std::nullopt;  // the last invitation already holds these seats
  }
  absl::StatusOr<std::string> ics = core::WriteInvitation(inv);
  if (!ics.ok()) return std::nullopt;
  return *std::move(ics);
}

// The iTIP CANCEL an event's cancellation notice carries to someone whose
// calendar holds the event (they were told of a seat, `told` being what
// GetTold keeps: "<notices so far>|<state>"), so that the entry the last
// REQUEST put there goes; none without an organiser address.
std::optional<std::string> EventCancellationInvitationFor(const core::Event& event,
                                                          const core::Registration& registration,
                                                          const std::optional<std::string>& told) {
  if (event.organiser_contact.email.empty() || registration.participant.email.empty() || !told) {
    return std::nullopt;
  }
  const size_t bar = told->find('|');
  int64_t told_count = 0;
  if (bar == std::string::npos || !absl::SimpleAtoi(told->substr(0, bar), &told_count)) {
    return std::nullopt;
  }
  absl::StatusOr<core::NoticeState> state =
      core::ParseNoticeState(absl::string_view(*told).substr(bar + 1));
  if (!state.ok() || SeatsOf(*state).empty()) return std::nullopt;
  core::Invitation inv = InvitationOf(event, registration, told_count + 1);
  inv.cancel = true;
  absl::StatusOr<std::string> ics = core::WriteInvitation(inv);
  if (!ics.ok()) return std::nullopt;
  return *std::move(ics);
}

}  // namespace

absl::StatusOr<std::optional<storage::PendingReminder>> ReminderReplanner::Notice(
    const core::Event& event, const core::Zone& zone, const core::ReminderPolicy& policy,
    const core::Registration& registration, bool announce_new) {
  const std::string& pid = registration.participant.participant_id;
  absl::StatusOr<std::optional<std::string>> stored =
      core::BlockingCall<std::optional<std::string>>(
          [&](auto done) { reminders_.GetTold(event.id, pid, std::move(done)); },
          kStoreCallTimeout);
  if (!stored.ok()) return stored.status();
  const core::NoticeState now = core::NoticeStateOf(event, zone, registration);
  // Told: "<notices so far>|<state>".
  int64_t told_count = 0;
  std::optional<core::NoticeState> told;
  if (stored->has_value()) {
    const std::string& text = **stored;
    const size_t bar = text.find('|');
    absl::StatusOr<core::NoticeState> parsed =
        bar == std::string::npos ? absl::DataLossError("no count")
                                 : core::ParseNoticeState(absl::string_view(text).substr(bar + 1));
    // A state without days: registered, nothing told yet (see below).
    if (parsed.ok() && absl::SimpleAtoi(text.substr(0, bar), &told_count) &&
        !parsed->days.empty()) {
      told = *parsed;
    }
  } else if (announce_new) {
    // Known from now on, told nothing yet: a re-plan through the event
    // (before the first notice went out) still owes that first notice.
    if (absl::Status marked = MarkAnnounced(event.id, pid); !marked.ok()) return marked;
  } else {
    absl::StatusOr<bool> remembered = core::BlockingCall<bool>([&](auto done) {
      reminders_.RememberTold(event.id, pid, absl::StrCat("0|", core::FormatNoticeState(now)),
                              /*only_if_none=*/true, std::move(done));
    }, kStoreCallTimeout);
    if (!remembered.ok()) return remembered.status();
    return std::optional<storage::PendingReminder>();
  }
  const std::optional<core::NoticeKind> kind = core::OwedNotice(told ? &*told : nullptr, now);
  if (!kind) return std::optional<storage::PendingReminder>();
  if (std::find(policy.muted_notices.begin(), policy.muted_notices.end(), *kind) !=
      policy.muted_notices.end()) {
    // Muted for this event: what it would have told counts as told, so the
    // next notice says what changed after it.
    absl::StatusOr<bool> remembered = core::BlockingCall<bool>([&](auto done) {
      reminders_.RememberTold(event.id, pid,
                              absl::StrCat(told_count, "|", core::FormatNoticeState(now)),
                              /*only_if_none=*/false, std::move(done));
    }, kStoreCallTimeout);
    if (!remembered.ok()) return remembered.status();
    return std::optional<storage::PendingReminder>();
  }

  const core::ParticipantInfo& who = registration.participant;
  core::NoticeMessageInput in;
  in.message.language = who.language;
  in.message.participant_time_zone = who.time_zone.empty() ? event.time_zone : who.time_zone;
  in.message.venue_time_zone = event.time_zone;
  in.message.event_title = event.title;
  in.message.venue_city = event.venue.city.empty() ? event.city : event.venue.city;
  in.message.starts = event.start;
  in.message.venue_name = event.venue.name;
  in.message.venue_address = event.venue.address;
  in.message.platform = event.online.platform;
  in.message.join_url = event.online.join_url;
  in.message.recipient_name = who.display_name;
  in.kind = *kind;
  in.days = now.days;
  if (told) in.previous_start = told->event_start;
  core::RenderedMessage text = core::RenderNotice(in);

  // One id per notice owed since the last one went out: a notice re-planned
  // before it is sent keeps its key (and is replaced), the next one after
  // it gets the next number.
  const std::string reminder_id = absl::StrCat("notice-", told_count + 1);
  const std::string key = storage::ReminderStore::ReminderKey(event.id, pid, reminder_id);
  const absl::Time due = clock_.Now() + notice_delay_;
  v1::Notification n;
  n.set_idempotency_key(absl::StrCat(key, "/r", event.revision));
  n.set_kind(NoticeKindToProto(*kind));
  n.set_event_id(event.id);
  n.set_event_revision(event.revision);
  n.set_participant_id(pid);
  n.set_recipient_name(who.display_name);
  n.set_recipient_email(who.email);
  n.set_language(text.language);
  n.set_time_zone(in.message.participant_time_zone);
  n.set_subject(std::move(text.subject));
  n.set_body(std::move(text.body));
  *n.mutable_due_time() = rpc::TimeToProto(due);
  n.set_state(v1::NOTIFICATION_STATE_PENDING);
  n.set_reminder_id(reminder_id);
  n.set_reply_to_name(event.organiser_contact.name);
  n.set_reply_to_email(event.organiser_contact.email);
  n.set_notice_state(absl::StrCat(told_count + 1, "|", core::FormatNoticeState(now)));
  if (std::optional<std::string> ics =
          InvitationFor(event, zone, registration, *kind, told ? &*told : nullptr, now, told_count + 1)) {
    n.set_calendar(*std::move(ics));
  }
  return std::optional<storage::PendingReminder>(
      storage::PendingReminder{key, absl::ToUnixMillis(due), n.SerializeAsString()});
}

absl::StatusOr<int> ReminderReplanner::Plan(const core::Event& event,
                                           const core::ReminderPolicy& policy,
                                           const core::Registration& registration,
                                           bool announce_new) {
  std::vector<core::PlannedReminder> plan;
  // Reminders due by this instant are kept only while pending (see
  // ReplacePlan); a cancellation notice, due the moment it is planned, is
  // written unless it was sent already.
  absl::Time late_before = clock_.Now();
  // A forgotten participant has no address left to remind, and their
  // rendered texts must not come back.
  if (!registration.forgotten) {
    absl::StatusOr<core::Zone> zone = core::ResolveZone(event.time_zone);
    if (!zone.ok()) return zone.status();
    const absl::Time now = clock_.Now();
    if (event.status == core::EventStatus::kCancelled) {
      if (auto notice = core::PlanCancellationNotice(event, *zone, registration, now)) {
        plan.push_back(std::move(*notice));
      }
      late_before = absl::InfinitePast();
    } else {
      // Every reminder of the registration, due or not: the store keeps the
      // due ones that are still pending and adds no late one.
      plan = core::PlanReminders(event, *zone, registration, policy, absl::InfinitePast());
    }
  }
  std::vector<storage::PendingReminder> pending;
  pending.reserve(plan.size() + 1);
  for (const core::PlannedReminder& r : plan) {
    v1::Notification n = RenderPlannedReminder(event, registration, r);
    if (r.kind == core::ReminderKind::kCancellation && notices_) {
      absl::StatusOr<std::optional<std::string>> told =
          core::BlockingCall<std::optional<std::string>>([&](auto done) {
            reminders_.GetTold(event.id, registration.participant.participant_id, std::move(done));
          }, kStoreCallTimeout);
      if (!told.ok()) return told.status();
      if (std::optional<std::string> ics = EventCancellationInvitationFor(event, registration, *told)) {
        n.set_calendar(*std::move(ics));
      }
    }
    pending.push_back(
        {storage::ReminderStore::ReminderKey(event.id, registration.participant.participant_id,
                                             r.reminder_id),
         absl::ToUnixMillis(r.due), n.SerializeAsString()});
  }
  // The lifecycle notice owed, if any: to participants with an e-mail
  // address, not once forgotten, nor for a cancelled event (its
  // cancellation notice says it all) or one that is over.
  if (notices_ && !registration.forgotten && !registration.participant.email.empty() &&
      event.status != core::EventStatus::kCancelled && event.end > clock_.Now()) {
    absl::StatusOr<core::Zone> zone = core::ResolveZone(event.time_zone);
    if (!zone.ok()) return zone.status();
    absl::StatusOr<std::optional<storage::PendingReminder>> notice =
        Notice(event, *zone, policy, registration, announce_new);
    if (!notice.ok()) return notice.status();
    if (*notice) pending.push_back(**std::move(notice));
  }
  const int planned = static_cast<int>(pending.size());
  absl::StatusOr<int> dropped = core::BlockingCall<int>([&](auto done) {
    reminders_.ReplacePlan(event.id, registration.participant.participant_id,
                           std::move(pending), late_before, std::move(done));
  }, kStoreCallTimeout);
  if (!dropped.ok()) return dropped.status();
  return planned;
}

absl::StatusOr<storage::ReminderStore::Erased> ReminderReplanner::Forget(
    const std::string& event_id, const std::string& participant_id) {
  return core::BlockingCall<storage::ReminderStore::Erased>(
      [&](auto done) { reminders_.ForgetParticipant(participant_id, event_id, std::move(done)); },
      kStoreCallTimeout);
}

absl::Status ReminderReplanner::MarkAnnounced(const std::string& event_id,
                                              const std::string& participant_id) {
  if (!notices_) return absl::OkStatus();
  return core::BlockingCall<bool>([&](auto done) {
           reminders_.RememberTold(event_id, participant_id,
                                   absl::StrCat("0|", core::FormatNoticeState(core::NoticeState{})),
                                   /*only_if_none=*/true, std::move(done));
         }, kStoreCallTimeout).status();
}

absl::StatusOr<int> ReminderReplanner::PlanRegistration(
    const std::string& event_id, const std::string& participant_id) {
  return PlanRegistrations(event_id, {participant_id});
}

absl::StatusOr<int> ReminderReplanner::PlanRegistrations(
    const std::string& event_id, const std::vector<std::string>& participant_ids) {
  absl::StatusOr<core::Event> event = core::BlockingCall<core::Event>(
      [&](auto done) { events_.GetEvent(event_id, std::move(done)); }, kStoreCallTimeout);
  if (!event.ok()) return event.status();
  absl::StatusOr<core::ReminderPolicy> policy = Policy(event_id);
  if (!policy.ok()) return policy.status();
  // Each registration's plan is its own keys: several at once (FanOut).
  std::atomic<int> planned{0};
  absl::Status s = FanOut(participant_ids.size(), kPlanningThreads, [&](size_t i) -> absl::Status {
    const std::string& participant_id = participant_ids[i];
    absl::StatusOr<core::Registration> registration =
        core::BlockingCall<core::Registration>([&](auto done) {
          registrations_.Get(event_id, participant_id, std::move(done));
        }, kStoreCallTimeout);
    // No copy: nothing known to plan from, and nothing to take away either
    // (an erasure removes the plans itself: Forget).
    if (absl::IsNotFound(registration.status())) return absl::OkStatus();
    if (!registration.ok()) return registration.status();
    absl::StatusOr<int> n = Plan(*event, *policy, *registration, /*announce_new=*/true);
    // As PlanRegistration one at a time did: what one registration finds
    // missing does not stop the others.
    if (absl::IsNotFound(n.status())) return absl::OkStatus();
    if (!n.ok()) return n.status();
    planned += *n;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return planned.load();
}

absl::StatusOr<int> ReminderReplanner::PlanEvent(const std::string& event_id) {
  absl::StatusOr<core::Event> event = core::BlockingCall<core::Event>(
      [&](auto done) { events_.GetEvent(event_id, std::move(done)); }, kStoreCallTimeout);
  if (!event.ok()) return event.status();
  absl::StatusOr<core::ReminderPolicy> policy = Policy(event_id);
  if (!policy.ok()) return policy.status();
  int planned = 0;
  std::string cursor = "0";
  do {
    absl::StatusOr<RegistrationCopies::Page> page =
        core::BlockingCall<RegistrationCopies::Page>(
            [&](auto done) { registrations_.List(event_id, cursor, std::move(done)); },
            kStoreCallTimeout);
    if (!page.ok()) return page.status();
    std::atomic<int> on_page{0};
    absl::Status s = FanOut(page->registrations.size(), kPlanningThreads,
                            [&](size_t i) -> absl::Status {
                              absl::StatusOr<int> n = Plan(*event, *policy, page->registrations[i],
                                                           /*announce_new=*/false);
                              if (!n.ok()) return n.status();
                              on_page += *n;
                              return absl::OkStatus();
                            });
    if (!s.ok()) return s;
    planned += on_page.load();
    cursor = page->next_cursor;
  } while (cursor != "0");
  return planned;
}

}  // namespace convene::notification
