// The Redis key scheme of Convene: every key any service reads or writes is
// built here, and nowhere else.
//
//   std::string docs = convene::storage::keys::CalendarDocuments();
//   // "cv:{cal}:docs"
//
// Slots. Redis Cluster keeps keys with the same {hash tag} in one slot, and a
// Lua script or MULTI/EXEC may only touch keys of one slot. Each aggregate
// that must change atomically therefore has one tag:
//
//   {cal}       the calendar: event documents, their filter attributes, the
//               start-instant index and the calendar change stream. The issue
//               of record requires document, index and change log to change
//               in one step, so they share a slot; the calendar is small
//               (thousands of events) and read-mostly, so one slot suffices.
//   {ev:<id>}   one event's attendance: the event sheet (the attendance-
//               relevant copy of the event: days, capacities, formats,
//               sessions, status and revision, built by attendance from
//               the calendar's change stream and guarded by revision so a
//               late copy never overwrites a newer one), registrations, per-day per-mode
//               seats and waitlists, check-ins, counters, the event's
//               attendance stream. Hot writes of different events spread over
//               the cluster.
//   {att}       attendance's own process-wide keys: the index of events it
//               holds sheets for, the sheet follower's lease and position.
//   {ntf}, {ntf:<k>}  notification: {ntf} holds its copies of events,
//               policies, webhooks and the planner's lease; reminders, due
//               sets, leases, notifications and outboxes are partitioned by
//               event into reminder shards {ntf} and {ntf:1}..{ntf:N-1}.
//   {ntf:ev:<id>}  notification's copy of one event's registrations.
//   {feed}      the cross-service change feed.
//   {sys}       process-wide facts: the tzdata version instants were derived
//               with, schema version, tokens.
//
// All keys start with "cv:" so that Convene can share a Redis with other
// applications (and a test can scan exactly its own keys).
#ifndef CONVENE_STORAGE_KEYS_H_
#define CONVENE_STORAGE_KEYS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace convene::storage::keys {

// Prefix of every Convene key.
inline constexpr absl::string_view kPrefix = "cv:";

// ---- {cal}: the calendar aggregate --------------------------------------

// Hash: event id -> event document (serialised convene.v1.Event). One hash
// for all events, so that every script declares every key it touches.
inline std::string CalendarDocuments() { return "cv:{cal}:docs"; }
// Hash: event id -> "revision|start_ms|end_ms|status|format|kind|community|
// city": what ListEvents filters on, readable by Lua without decoding.
inline std::string CalendarAttributes() { return "cv:{cal}:attrs"; }
// Sorted set: event id scored by UTC start (milliseconds since the epoch).
inline std::string CalendarStartIndex() { return "cv:{cal}:idx:start"; }
// Hash: "max_duration_ms" -> the longest event stored, which bounds how far
// before a window's start a window query must look.
inline std::string CalendarStats() { return "cv:{cal}:stats"; }
// Hash: event id -> fingerprint (SHA-256 hex) of the CreateEvent request
// that made it: a request id reused for a different event is refused.
inline std::string CalendarCreateRequests() { return "cv:{cal}:create-requests"; }
// Stream: one entry per create/update/cancel with the event after the
// change; sync tokens are entry ids. CreateEvent's idempotency needs no key
// of its own: the event id is derived from the request id.
inline std::string CalendarChanges() { return "cv:{cal}:changes"; }

// ---- {ev:<id>}: one event's attendance -----------------------------------

inline std::string EventTag(absl::string_view event_id) {
  return absl::StrCat("{ev:", event_id, "}");
}
// Hash: the attendance-relevant copy of the event, with its revision.
inline std::string EventSheet(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":sheet");
}
// Sorted set: participant ids in the order they first registered.
inline std::string Registrations(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":regs");
}
// Hash: one participant's registration (personal fields, per-day modes and
// statuses as "date=mode=status;...", revision, times).
inline std::string Registration(absl::string_view event_id,
                                absl::string_view participant_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":reg:", participant_id);
}
// Registration(e, p) is RegistrationPrefix(e) + p; scripts that promote
// someone from a waitlist build that person's key from it.
inline std::string RegistrationPrefix(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":reg:");
}
// Prefix of the FIFO waitlist of one (day, mode), a sorted set scored by
// arrival: WaitlistPrefix(e) + "2022-03-15:in_person". Scripts build these
// names themselves (they depend on the request); the prefix carries the
// event's hash tag, so they stay in the event's slot.
inline std::string WaitlistPrefix(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":wait:");
}
// Hash: "day:<date>|session:<id>" + ":<mode>:<participant>" -> check-in
// record "mode|source|first_ms|joins|last_leave_ms|walk_in".
inline std::string CheckIns(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":checkins");
}
// Prefix of the set of participants present for one scope and mode:
// PresencePrefix(e) + "day:2022-03-15:online" (or "session:s2:in_person").
// Sets give the unique headcount: a person is in a set once.
inline std::string PresencePrefix(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":present:");
}
// Hash: counter name -> integer, kept current by the attendance scripts
// through the one rule book scripts/attendance_lib.lua, which documents
// every field: "reg:<date>:<mode>" seats taken, "wait:<date>:<mode>"
// waiting, "in:<scope>:<mode>" present, the same per group under
// "g:<city|org>:<hex of the name>:", "walkin:<date>", "registrations",
// "seq" (arrival order), "version". Group names never appear raw.
// The fields of one date (its seats, waitlists, day presence, walk-ins,
// online times, and theirs per group) are kept in DayCounters(e, date)
// instead, so that reading a few days of a long event reads those days;
// Counters(e) then holds "layout" = "2" (an event stored before has every
// field in Counters(e); its next change moves them).
inline std::string Counters(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":counts");
}
// Hash: the counters of one date ("2022-03-15") of Counters(e). Scripts
// build the name from Counters(e) + ":" + date.
inline std::string DayCounters(absl::string_view event_id, absl::string_view date) {
  return absl::StrCat(Counters(event_id), ":", date);
}
// Set: the dates that have a DayCounters() hash (the audit reads them all).
inline std::string CountedDays(absl::string_view event_id) {
  return absl::StrCat(Counters(event_id), ":days");
}
// Hash: request id -> participant id, for requests already applied (a retry
// returns the state they left instead of applying them twice).
inline std::string AttendanceRequests(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":requests");
}
// Stream: registration changes and check-ins of the event.
inline std::string AttendanceChanges(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":changes");
}
namespace internal {
// The part of `key` between "cv:{ev:" and `tail`; "" when it is not of
// that form.
inline std::string EventBetween(absl::string_view key, absl::string_view tail) {
  constexpr absl::string_view kHead = "cv:{ev:";
  if (key.size() <= kHead.size() + tail.size() || key.substr(0, kHead.size()) != kHead ||
      key.substr(key.size() - tail.size()) != tail) {
    return "";
  }
  return std::string(key.substr(kHead.size(), key.size() - kHead.size() - tail.size()));
}
}  // namespace internal

// The event id of an AttendanceChanges() key; "" for any other key.
inline std::string EventOfAttendanceChanges(absl::string_view key) {
  return internal::EventBetween(key, "}:changes");
}
// Pub/sub channel: "counts changed" pings for live watchers on any replica.
inline std::string CountsChannel(absl::string_view event_id) {
  return absl::StrCat(kPrefix, EventTag(event_id), ":counts-changed");
}
// The PSUBSCRIBE pattern of every event's CountsChannel() (the ACL in
// deploy/redis lists it literally).
inline std::string CountsChannelPattern() { return "cv:{ev:*}:counts-changed"; }
// The event id of a CountsChannel(); "" for any other channel.
inline std::string EventOfCountsChannel(absl::string_view channel) {
  return internal::EventBetween(channel, "}:counts-changed");
}

// ---- {att}: attendance across events ------------------------------------

// Set: ids of the events attendance holds a sheet for (EventSheetStore::Put
// adds each before writing its sheet): what erasure "from every event"
// walks, without reading the calendar's keys.
inline std::string AttendanceEvents() { return "cv:{att}:events"; }
// Hash: ForgetParticipant request_id -> fingerprint of (event id, "" for
// every event; participant; reason), kept across events so that an id is
// bound once however many events its erasure touches.
inline std::string AttendanceForgetRequests() { return "cv:{att}:forget-requests"; }
// Hash: "cv:{cal}:changes" -> last calendar change entry the sheet follower
// has applied (attendance/sheet_follower.h).
inline std::string SheetFollowerPositions() { return "cv:{att}:sheet-positions"; }
// String: owner token of the replica following the calendar for sheets,
// with a TTL it renews while it works.
inline std::string SheetFollowerLease() { return "cv:{att}:sheet-lease"; }
// Pub/sub channel attendance publishes on: the newest calendar change id its
// sheets have taken, after each batch and once a second while idle. The
// calendar listens, so that UpdateEvent can answer once attendance follows
// the change (calendar/change_applied_waiter.h).
inline std::string AttendanceSheetsApplied() { return "cv:{att}:sheets-applied"; }
// String, present while calendar changes were trimmed from the calendar's
// stream before the sheet follower applied them: what was missed, until
// `convene-admin resheet` rebuilds every sheet and deletes it.
inline std::string SheetFollowerGap() { return "cv:{att}:sheet-gap"; }

// ---- {ntf} and {ntf:<k>}: reminders and notifications --------------------
//
// Notification's per-event work (pending reminders, due sets, leases,
// notifications, the outbox) is partitioned into `--reminder_shards` shards
// by event, each its own hash tag, so that N cluster nodes share reminder
// work and each shard is claimed and dispatched on its own. Shard 0's tag is
// "{ntf}", where a deployment made before sharding keeps its data; shard k
// > 0 is "{ntf:k}". What is not per event (event copies, policies,
// webhooks, the planner's lease and positions, the shard count) stays in
// "{ntf}".
//
// A reminder key is "<event>/<participant>/<reminder id>" (ids never hold
// '/'); a notification id is "<reminder key>/r<event revision>", the
// idempotency key consumers dedupe on. Both start with the event id, so
// either names its shard.

// The shard of `event_id` among `shard_count` (FNV-1a of the id: stable
// across processes, versions and platforms; the count is fixed for the life
// of a deployment, see ReminderShardCount()).
inline int ReminderShardOf(absl::string_view event_id, int shard_count) {
  if (shard_count <= 1) return 0;
  uint32_t h = 2166136261u;
  for (unsigned char c : event_id) {
    h ^= c;
    h *= 16777619u;
  }
  return static_cast<int>(h % static_cast<uint32_t>(shard_count));
}

// The event id a reminder key or notification id starts with.
inline absl::string_view EventOfReminderKey(absl::string_view key) {
  return key.substr(0, key.find('/'));
}

// The keys of one reminder shard, all under its tag.
class ReminderShard {
 public:
  explicit ReminderShard(int index)
      : prefix_(index == 0 ? std::string("cv:{ntf}:") : absl::StrCat("cv:{ntf:", index, "}:")) {}

  // Prefixes of the per-event and per-participant indexes below: a script
  // that reaches an index it cannot name in KEYS (it depends on the records
  // it reads) is given these, in this order, as its first five arguments.
  std::vector<std::string> IndexPrefixes() const {
    return {Key("pair:"), Key("event-participants:"), Key("participant-events:"),
            Key("event-notifications:"), Key("participant-notifications:")};
  }
  // Sorted set: pending reminder key scored by due instant (milliseconds).
  std::string DueReminders() const { return Key("due"); }
  // Hash: reminder key -> rendered notification (serialised
  // convene.v1.Notification) waiting for its due instant.
  std::string Reminders() const { return Key("reminders"); }
  // Sorted set: claimed reminder key scored by lease expiry (milliseconds).
  std::string Leases() const { return Key("leases"); }
  // Hash: claimed reminder key -> owner token of the dispatcher holding it.
  std::string LeaseOwners() const { return Key("lease-owners"); }
  // Set: the reminder keys planned for one registration.
  std::string Pair(absl::string_view event_id, absl::string_view participant_id) const {
    return absl::StrCat(prefix_, "pair:", event_id, "/", participant_id);
  }
  // Set: the reminder keys of one registration already sent (completed),
  // so that no re-plan adds one again when an edit puts its due instant back
  // in the future: the participant learns of the edit from its notice. As
  // long-lived as the notifications it stands for; erased with the
  // participant (reminder_forget.lua).
  std::string Sent(absl::string_view event_id, absl::string_view participant_id) const {
    return absl::StrCat(SentPrefix(), event_id, "/", participant_id);
  }
  // The prefix of Sent(), for scripts that reach the sets of the records
  // they complete or erase.
  std::string SentPrefix() const { return Key("sent:"); }
  // Set: participants of the event with pending reminders.
  std::string EventParticipants(absl::string_view event_id) const {
    return absl::StrCat(prefix_, "event-participants:", event_id);
  }
  // Set: events of this shard the participant has pending or sent
  // reminders for.
  std::string ParticipantEvents(absl::string_view participant_id) const {
    return absl::StrCat(prefix_, "participant-events:", participant_id);
  }
  // Hash: notification id -> the notification as sent (serialised
  // convene.v1.Notification).
  std::string Notifications() const { return Key("notifications"); }
  // Hash: notification id -> "pending|sent|failed" "|" attempts "|" reason.
  std::string NotificationStates() const { return Key("states"); }
  // Sorted set: the event's notification ids scored by creation (ms).
  std::string EventNotifications(absl::string_view event_id) const {
    return absl::StrCat(prefix_, "event-notifications:", event_id);
  }
  // Set: the participant's notification ids in this shard (for erasure).
  std::string ParticipantNotifications(absl::string_view participant_id) const {
    return absl::StrCat(prefix_, "participant-notifications:", participant_id);
  }
  // Stream: one entry per notification ("n" id, "e" event) for the stream
  // sink; each subscriber name is a consumer group, and its pending entries
  // list is what redelivers unacknowledged notifications.
  std::string Outbox() const { return Key("outbox"); }
  // Hash: notification id -> its outbox entry id (AckNotification names the
  // notification; XACK needs the entry).
  std::string OutboxEntries() const { return Key("outbox-entries"); }
  // Hash: subscriber consumer group -> when a stream last used it (ms), so
  // that groups unused for --subscriber_group_idle are removed.
  std::string OutboxGroupsSeen() const { return Key("outbox-groups-seen"); }
  // Hash: webhook id -> "ok|fail|retry" "|" tries "|" reason: what each
  // webhook made of the notification so far, until its outbox entry is
  // finished.
  std::string WebhookProgress(absl::string_view notification_id) const {
    return absl::StrCat(prefix_, "webhook-progress:", notification_id);
  }
  // Hash: notification id -> "sent|failed" "|" attempts "|" reason: what the
  // e-mail sink did with it, so that a redelivered outbox entry is not
  // mailed twice.
  std::string MailStates() const { return Key("mail-states"); }
  // Hash: "<event>/<participant>" -> what that participant was last told
  // about their registration (core::FormatNoticeState), written when a
  // lifecycle notice is completed: the next notice says what changed since.
  std::string Told() const { return Key("told"); }

 private:
  std::string Key(absl::string_view name) const { return absl::StrCat(prefix_, name); }
  std::string prefix_;
};

// String: the number of reminder shards this deployment was created with.
// The first notification replica sets it; one started with another
// --reminder_shards refuses to start, since each event's reminders would
// be looked for in the wrong shard.
inline std::string ReminderShardCount() { return "cv:{ntf}:reminder-shards"; }
// Hash: event id -> "<revision>|<serialised convene.v1.Event>": notification's
// own copy of each event, taken from the calendar's change stream
// (notification/event_copy_store.h).
inline std::string NotificationEvents() { return "cv:{ntf}:events"; }
// Sorted set: event id scored by its UTC end (milliseconds): which copied
// events are still live.
inline std::string NotificationEventEnds() { return "cv:{ntf}:event-ends"; }
// Hash per event: participant id -> "<revision>|<serialised
// convene.v1.Registration>": notification's own copy of each registration
// (contact, zone, language, days), taken from the event's attendance stream
// (notification/registration_copy_store.h). The largest part of
// notification's memory, so each event's copy has a tag of its own and the
// copies spread over every node.
inline std::string NotificationRegistrations(absl::string_view event_id) {
  return absl::StrCat("cv:{ntf:ev:", event_id, "}:registrations");
}
// Hash: event id -> reminder policy (serialised convene.v1.ReminderPolicy).
inline std::string ReminderPolicies() { return "cv:{ntf}:policies"; }
// Hash: webhook id -> serialised convene.v1.Webhook (with its secret).
inline std::string Webhooks() { return "cv:{ntf}:webhooks"; }
// Hash: webhook id -> its event ids, comma-joined, to count webhooks per event.
inline std::string WebhookEvents() { return "cv:{ntf}:webhook-events"; }
// Hash: stream key -> last entry id the reminder planner has processed, for
// the calendar stream and each event's attendance stream.
inline std::string PlannerPositions() { return "cv:{ntf}:planner-positions"; }
// String: owner token of the replica that is the reminder planner now,
// with a TTL it renews while it plans.
inline std::string PlannerLease() { return "cv:{ntf}:planner-lease"; }

// ---- {feed}: the change feed across services ----------------------------

// Stream: the calendar's and every event's attendance changes, relayed in
// one order by the calendar service (change_feed_relay.h); positions of
// ListChanges/WatchChanges are its entry ids. Entries hold event ids, days,
// modes and statuses, and name each participant by their pseudonym only
// (field "pn" set): a stream entry cannot be rewritten, so whatever erasure
// must reach is kept beside it, in ChangeFeedPeople.
inline std::string ChangeFeed() { return "cv:{feed}:changes"; }
// Hash: what the feed's participant entries leave out, for the callers who
// may see it: "<event>|<pseudonym>" -> participant id, "<event>|<pseudonym>|
// <source entry id>" -> the reason of that change, "<event>|<pseudonym>|r"
// -> those source entry ids. An erasure deletes the person's reasons and
// sets "<event>|<pseudonym>" to "" (erased), after which nothing is written
// for them again ("<event>|<pseudonym>|forgotten" = "1" marks erasures
// recorded before). Fields last needed by entries the feed has trimmed are
// dropped (ChangeFeedPeopleAge); erasure marks stay, as attendance keeps
// the erased registration.
inline std::string ChangeFeedPeople() { return "cv:{feed}:people"; }
// Sorted set: each person and reason field of ChangeFeedPeople, scored by
// the feed entry that last needed it (milliseconds * 1000 + sequence, the
// sequence capped at 999); the relay drops those scored below the feed's
// first entry.
inline std::string ChangeFeedPeopleAge() { return "cv:{feed}:people-age"; }
// String: HSCAN cursor of the relay indexing, into ChangeFeedPeopleAge, the
// fields a release before it kept; "done" once it has passed them all.
inline std::string ChangeFeedPeopleBackfill() { return "cv:{feed}:people-backfill"; }
// Hash: source stream key -> newest entry of it relayed into the feed.
inline std::string ChangeFeedSources() { return "cv:{feed}:sources"; }
// String: owner token of the replica relaying into the feed, with a TTL.
inline std::string ChangeFeedRelayLease() { return "cv:{feed}:relay-lease"; }
// String: the deployment's key for participant pseudonyms (random, made by
// the first calendar service to start; core/pseudonym.h). Losing it gives
// every participant new pseudonyms.
inline std::string ChangeFeedPseudonymKey() { return "cv:{feed}:pseudonym-key"; }

// ---- every resumable stream ----------------------------------------------

// String: the epoch of a stream whose positions clients hold (random, made
// when first needed). Position tokens carry it (stream_position.h), so a
// token from another Redis, or from this one before it was wiped, is told
// apart from a real position. Same hash tag as the stream.
inline std::string StreamEpoch(absl::string_view stream_key) {
  return absl::StrCat(stream_key, "-epoch");
}

// ---- {sys}: process-wide facts ------------------------------------------

// String: the tzdata version the stored instants were derived with.
inline std::string TzdataVersion() { return "cv:{sys}:tzdata-version"; }
// The health check's write probe: SET NX on it changes nothing after the
// first time but is refused, like every write, when Redis is out of memory.
inline std::string WritesProbe() { return "cv:{sys}:writes-probe"; }
// Hash: SHA-256 (hex) of a token's secret -> "<expire ms>|<token id>|<the
// serialised convene.v1.Token>". The secret itself is never stored.
inline std::string Tokens() { return "cv:{sys}:tokens"; }
// Hash: token id -> SHA-256 of its secret (to revoke or list by id).
inline std::string TokenIds() { return "cv:{sys}:token-ids"; }
// String: where the sweep of expired tokens goes on in Tokens() (an HSCAN
// cursor; absent: from the start).
inline std::string TokenSweepCursor() { return "cv:{sys}:token-sweep"; }
// Prefix of each token's rate-limit bucket, a hash {level, ms}:
// TokenBucketPrefix() + token id.
inline std::string TokenBucketPrefix() { return "cv:{sys}:bucket:"; }

}  // namespace convene::storage::keys

#endif  // CONVENE_STORAGE_KEYS_H_
