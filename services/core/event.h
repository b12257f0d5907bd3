// The calendar's domain model: an event of the network (workshop, meeting,
// conference, ...) with its sessions, as plain values.
//
//   convene::core::Event e;
//   e.title = "CoP1 3rd workshop";
//   e.time_zone = "Europe/Athens";
//   e.start_local = absl::CivilSecond(2022, 3, 15, 9, 30, 0);
//   e.end_local = absl::CivilSecond(2022, 3, 17, 17, 30, 0);
//   absl::Status s = convene::core::PrepareEvent(e);  // see event_rules.h
//
// Wall-clock time plus zone is the truth: start_local/end_local (and each
// session's) are what the organiser set; start/end are derived instants,
// re-derived whenever the zone's rules may have changed.
#ifndef CONVENE_CORE_EVENT_H_
#define CONVENE_CORE_EVENT_H_

#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "core/local_time_resolution.h"

namespace convene::core {

// Where something happens. A session's kUnspecified means "as its event".
enum class EventFormat { kUnspecified, kInPerson, kOnline, kHybrid };

enum class EventKind {
  kUnspecified,
  kMeeting,
  kWorkshop,
  kConference,
  kWebinar,
  kStaffExchange,
  kStudyVisit,
  kTraining,
};

enum class EventStatus { kScheduled, kCancelled };

// True when `format` lets people attend in the room (in-person or hybrid).
inline bool OffersInPerson(EventFormat format) {
  return format == EventFormat::kInPerson || format == EventFormat::kHybrid;
}
// True when `format` lets people attend online (online or hybrid).
inline bool OffersOnline(EventFormat format) {
  return format == EventFormat::kOnline || format == EventFormat::kHybrid;
}

struct Venue {
  std::string name;
  std::string address;
  std::string city;
  // Seats per day; 0 means no limit.
  int in_person_capacity = 0;
};

// Who participants write to about the event (Reply-To of its e-mail).
struct Contact {
  std::string name;
  std::string email;
};

struct OnlineAccess {
  std::string platform;
  std::string join_url;
  // Places per day; 0 means no limit.
  int online_capacity = 0;
};

struct Session {
  std::string id;
  std::string title;
  std::string description;
  absl::CivilSecond start_local;
  absl::CivilSecond end_local;
  // kUnspecified: the event's format.
  EventFormat format = EventFormat::kUnspecified;
  std::string room;
  // Overrides the event's join URL.
  std::string join_url;
  // Derived from start_local/end_local in the event's zone.
  absl::Time start;
  absl::Time end;
};

inline constexpr absl::Duration kDefaultCheckInMargin = absl::Hours(12);
inline constexpr absl::Duration kMaxCheckInMargin = absl::Hours(7 * 24);

struct Event {
  std::string id;
  std::string title;
  std::string description;
  EventKind kind = EventKind::kUnspecified;
  std::string community;
  std::vector<std::string> organisers;
  std::string city;
  std::string country_code;
  EventFormat format = EventFormat::kUnspecified;
  // IANA zone of the venue (the organiser's for an online-only event).
  std::string time_zone;
  absl::CivilSecond start_local;
  absl::CivilSecond end_local;
  Venue venue;
  OnlineAccess online;
  // Ordered by start_local (then id) once prepared.
  std::vector<Session> sessions;
  // Sessions an update removed (output only): their ids are never reused
  // and exports list them as cancelled.
  std::vector<Session> removed_sessions;
  // Some revision had no sessions (output only): calendars may hold an
  // entry for the whole event, which exports list as cancelled while
  // sessions take its place.
  bool listed_as_whole_event = false;
  EventStatus status = EventStatus::kScheduled;
  std::string cancel_reason;
  bool allow_walk_ins = false;
  Contact organiser_contact;
  // Check-ins are accepted from this long before each day to this long
  // after it (event_sheet.h has the windows).
  absl::Duration check_in_margin = kDefaultCheckInMargin;
  // How local times in a DST gap or overlap were read.
  LocalTimePolicy local_time_policy = LocalTimePolicy::kReject;
  // 1 on create, +1 on every change.
  int64_t revision = 0;
  absl::Time create_time = absl::InfinitePast();
  absl::Time update_time = absl::InfinitePast();
  // Derived instants, and the tzdata version they were derived with.
  absl::Time start;
  absl::Time end;
  std::string tzdata_version;
};

// The session's format with kUnspecified resolved to the event's.
inline EventFormat EffectiveFormat(const Event& event, const Session& session) {
  return session.format == EventFormat::kUnspecified ? event.format
                                                     : session.format;
}

// The join URL in force for a session: its own, else the event's.
inline const std::string& EffectiveJoinUrl(const Event& event,
                                           const Session& session) {
  return session.join_url.empty() ? event.online.join_url : session.join_url;
}

}  // namespace convene::core

#endif  // CONVENE_CORE_EVENT_H_
