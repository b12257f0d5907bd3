// The rules an event must satisfy before it is stored, and the derivation of
// its instants from wall-clock time plus zone.
//
//   absl::StatusOr<Zone> zone = ResolveZone(event.time_zone, "event.time_zone");
//   absl::Status s = PrepareEvent(event, *zone);
//   // INVALID_ARGUMENT "event.sessions[1].start_local: local time
//   //   2022-03-27T02:30 does not exist in Europe/Brussels: ..."
//
// Bad input fails with INVALID_ARGUMENT whose message starts with the field
// path ("event.venue.in_person_capacity: must not be negative").
#ifndef CONVENE_CORE_EVENT_RULES_H_
#define CONVENE_CORE_EVENT_RULES_H_

#include "absl/status/status.h"
#include "core/event.h"
#include "core/event_days.h"
#include "core/zone.h"

namespace convene::core {

// Bounds on what one event may hold. Requests beyond them are refused, not
// truncated.
struct EventLimits {
  static constexpr int kMaxTitle = 200;
  static constexpr int kMaxDescription = 5000;
  static constexpr int kMaxShortText = 100;
  static constexpr int kMaxName = 200;
  static constexpr int kMaxAddress = 500;
  static constexpr int kMaxUrl = 2000;
  static constexpr int kMaxCommunity = 64;
  static constexpr int kMaxOrganisers = 20;
  static constexpr int kMaxSessions = 200;
  static constexpr int kMaxSessionId = 64;
  static constexpr int kMaxReason = 1000;
  static constexpr int kMaxCapacity = 1000000;
  // An event spans at most this many local days (SplitIntoLocalDays' limit).
  static constexpr int kMaxDays = kMaxEventDays;
  // What an event weighs: the bytes (UTF-8) of all its texts, and
  // kBytesPerSession for each session (its times in every answer, its
  // VEVENT in every export), its removed sessions included (they are kept
  // for the life of the event, without their description, room and join
  // link). The event, every change that carries it
  // and its iCalendar export must fit a gRPC message (4 MiB) with room.
  static constexpr int kMaxEventBytes = 1 << 20;
  static constexpr int kBytesPerSession = 512;
};

// Checks every field of `event` against the rules and limits (not the
// derived or output-only fields), assigns ids to sessions that have none
// ("s1", "s2", ... skipping ids in use), orders sessions by local start, and
// derives event and session instants in `zone` with the event's
// local_time_policy, recording the tzdata version used. `zone` must be the
// resolution of event.time_zone. On error `event` may be partly changed:
// callers work on a copy.
absl::Status PrepareEvent(Event& event, const Zone& zone);

// Re-derives the instants of an already valid event (after a tz database
// change); errors as PrepareEvent for times that now fall in a gap or overlap.
absl::Status DeriveEventInstants(Event& event, const Zone& zone);

// Checks a cancellation reason.
absl::Status ValidateCancelReason(absl::string_view reason);

}  // namespace convene::core

#endif  // CONVENE_CORE_EVENT_RULES_H_
