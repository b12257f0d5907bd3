#include "core/access_policy.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/text_limits.h"

namespace convene::core {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin: return "admin";
    case Role::kOrganizer: return "organizer";
    case Role::kCheckIn: return "checkin";
    case Role::kIntegration: return "integration";
    case Role::kReminderJob: return "reminder-job";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name, absl::string_view field) {
  for (Role r : {Role::kAdmin, Role::kOrganizer, Role::kCheckIn, Role::kIntegration,
                 Role::kReminderJob}) {
    if (name == RoleName(r)) return r;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      field, ": \"", name,
      "\" is not a role (admin, organizer, checkin, integration, reminder-job)"));
}

bool IsPublicMethod(absl::string_view method) {
  return absl::StartsWith(method, "/grpc.health.v1.Health/") ||
         absl::StartsWith(method, "/grpc.reflection.");
}

absl::Status AuthorizeEvent(const Caller& caller, absl::string_view event_id) {
  if (caller.all_events()) return absl::OkStatus();
  if (std::find(caller.event_ids.begin(), caller.event_ids.end(), event_id) !=
      caller.event_ids.end()) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(absl::StrCat(
      "event_id: ", event_id.empty() ? "(every event)" : event_id,
      " is outside this token's scope"));
}

bool Covers(const Caller& caller, const std::vector<std::string>& event_ids) {
  if (caller.all_events()) return true;
  if (event_ids.empty()) return false;
  return std::all_of(event_ids.begin(), event_ids.end(), [&](const std::string& id) {
    return std::find(caller.event_ids.begin(), caller.event_ids.end(), id) !=
           caller.event_ids.end();
  });
}

absl::Status CheckScopedEventIds(absl::string_view field,
                                 const std::vector<std::string>& event_ids) {
  if (event_ids.size() > static_cast<size_t>(kMaxScopedEvents)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": at most ", kMaxScopedEvents, " events, not ", event_ids.size()));
  }
  absl::flat_hash_set<absl::string_view> seen;
  for (size_t i = 0; i < event_ids.size(); ++i) {
    const std::string name = absl::StrCat(field, "[", i, "]");
    if (absl::Status s = CheckTextLength(name, event_ids[i], 128, /*required=*/true); !s.ok()) {
      return s;
    }
    if (!seen.insert(event_ids[i]).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, ": ", event_ids[i], " is listed twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status AuthorizeScope(const Caller& caller,
                            const std::vector<std::string>& event_ids,
                            absl::string_view field) {
  if (Covers(caller, event_ids)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat(
      field, ": ", event_ids.empty() ? "every event" : "events",
      " outside this token's scope (a token limited to some events may only "
      "name some of those events)"));
}

bool MayGrantRole(Role holder, Role granted) {
  return holder == Role::kAdmin || holder == granted;
}

bool SeesPersonalData(Role role) {
  return role == Role::kAdmin || role == Role::kOrganizer || role == Role::kReminderJob;
}

ParticipantView ParticipantViewOf(Role role) {
  if (SeesPersonalData(role)) return ParticipantView::kAll;
  return role == Role::kCheckIn ? ParticipantView::kDesk : ParticipantView::kIdOnly;
}

void LimitToView(ParticipantInfo& participant, ParticipantView view) {
  if (view == ParticipantView::kAll) return;
  participant.email.clear();
  participant.time_zone.clear();
  participant.language.clear();
  if (view == ParticipantView::kDesk) return;
  ParticipantInfo id_only;
  id_only.participant_id = std::move(participant.participant_id);
  participant = std::move(id_only);
}

}  // namespace convene::core
