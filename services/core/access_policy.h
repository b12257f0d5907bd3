// AccessPolicy: the rules of roles and scopes, whatever the RPC. A caller
// is a token's role and scope (all events, or a list of them). Which RPC
// allows which role and touches which events is the table in
// auth/rpc_policy.cc, which applies these rules.
//
//   Caller caller{.token_id = "tok_1a2b", .role = Role::kCheckIn,
//                 .event_ids = {"ev_0123"}};
//   AuthorizeEvent(caller, "ev_9999");  // PERMISSION_DENIED, outside scope
//   Covers(caller, {"ev_0123"});        // true
#ifndef CONVENE_CORE_ACCESS_POLICY_H_
#define CONVENE_CORE_ACCESS_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/registration.h"

namespace convene::core {

enum class Role {
  // Manages tokens, and may do everything else.
  kAdmin,
  // Creates and changes events in scope, sees participants, reports,
  // forgets participants, sets reminder policies.
  kOrganizer,
  // Checks people in and out and reads counts, for events in scope.
  kCheckIn,
  // Reads events, agendas, iCalendar, changes and counts: never a
  // participant's personal data.
  kIntegration,
  // Runs the reminder job and receives notifications.
  kReminderJob,
};

// "admin", "organizer", "checkin", "integration", "reminder-job".
absl::string_view RoleName(Role role);
// INVALID_ARGUMENT naming `field` for anything else.
absl::StatusOr<Role> ParseRole(absl::string_view name, absl::string_view field = "role");

struct Caller {
  std::string token_id;
  Role role = Role::kIntegration;
  // Empty: every event.
  std::vector<std::string> event_ids;
  // When the token expires. What it hands out ends no later.
  absl::Time expire_time = absl::InfiniteFuture();
  bool all_events() const { return event_ids.empty(); }
};

// Health checks and reflection: callable without a token (probes and
// tools that cannot send one).
bool IsPublicMethod(absl::string_view method);

// Whether `event_id` is in `caller`'s scope (PERMISSION_DENIED if not).
absl::Status AuthorizeEvent(const Caller& caller, absl::string_view event_id);

// Whether everything scoped to `event_ids` (empty: every event) lies inside
// `caller`'s scope: always for an every-event caller; for a scoped one, only
// a non-empty subset of its own events. The one rule for what a caller may
// hand out (tokens, webhooks), see (ListTokens, ListWebhooks) and act on
// (RevokeToken, DeleteWebhook, AckNotification).
bool Covers(const Caller& caller, const std::vector<std::string>& event_ids);

// The most events one scope may name: a token's, a subscription's, a
// webhook's.
inline constexpr int kMaxScopedEvents = 1000;

// The one check of a list of event ids that scopes something (a token, a
// subscription, a webhook), before whether the caller may hand it out: at
// most kMaxScopedEvents ids, each 1..128 characters, none twice.
// INVALID_ARGUMENT naming `field` or `field[i]`.
absl::Status CheckScopedEventIds(absl::string_view field,
                                 const std::vector<std::string>& event_ids);

// Covers() as a status: PERMISSION_DENIED naming `field`.
absl::Status AuthorizeScope(const Caller& caller,
                            const std::vector<std::string>& event_ids,
                            absl::string_view field);

// Whether a token of role `holder` may give out a token of role `granted`:
// never a role it does not have itself (only admin holds every role).
bool MayGrantRole(Role holder, Role granted);

// Whether the role may see participants' personal data (names, e-mails,
// organisations): admin and organizer, and reminder-job (it sends the mail).
bool SeesPersonalData(Role role);

// What of a participant a role sees in a registration it may read. Check-in
// staff see what the door needs to find someone (id, name, organisation,
// city, country), never how to reach them (e-mail) nor their language and
// zone; roles without personal data see the id alone.
enum class ParticipantView { kIdOnly, kDesk, kAll };
ParticipantView ParticipantViewOf(Role role);

// `participant` cut down to what `view` sees.
void LimitToView(ParticipantInfo& participant, ParticipantView view);

}  // namespace convene::core

#endif  // CONVENE_CORE_ACCESS_POLICY_H_
