#include "core/access_policy.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace convene::core {
namespace {

// Bits of Role.
constexpr unsigned Bit(Role r) { return 1u << static_cast<unsigned>(r); }
constexpr unsigned kOrganizer = Bit(Role::kOrganizer);
constexpr unsigned kCheckIn = Bit(Role::kCheckIn);
constexpr unsigned kIntegration = Bit(Role::kIntegration);
constexpr unsigned kReminderJob = Bit(Role::kReminderJob);

// "Service/Method" -> roles allowed, besides admin (which may call anything).
const absl::flat_hash_map<std::string, unsigned>& Table() {
  static const auto* table = new absl::flat_hash_map<std::string, unsigned>{
      // Calendar: organisers write; everyone who works with events reads.
      {"CalendarService/CreateEvent", kOrganizer},
      {"CalendarService/UpdateEvent", kOrganizer},
      {"CalendarService/CancelEvent", kOrganizer},
      {"CalendarService/GetEvent", kOrganizer | kCheckIn | kIntegration | kReminderJob},
      {"CalendarService/ListEvents", kOrganizer | kCheckIn | kIntegration | kReminderJob},
      {"CalendarService/GetAgenda", kOrganizer | kCheckIn | kIntegration | kReminderJob},
      {"CalendarService/ExportICalendar", kOrganizer | kIntegration},
      {"CalendarService/ListEventChanges", kOrganizer | kIntegration},
      {"CalendarService/WatchEventChanges", kOrganizer | kIntegration},
      {"CalendarService/FindMeetingTimes", kOrganizer | kIntegration},
      {"CalendarService/ListChanges", kOrganizer | kIntegration},
      {"CalendarService/WatchChanges", kOrganizer | kIntegration},
      // Attendance: participants' data is the organisers'.
      {"AttendanceService/Register", kOrganizer},
      {"AttendanceService/ChangeMode", kOrganizer},
      {"AttendanceService/CancelRegistration", kOrganizer},
      {"AttendanceService/GetRegistration", kOrganizer},
      {"AttendanceService/ListRegistrations", kOrganizer},
      {"AttendanceService/ExportAttendanceReport", kOrganizer},
      {"AttendanceService/ForgetParticipant", kOrganizer},
      {"AttendanceService/CheckIn", kOrganizer | kCheckIn},
      {"AttendanceService/CheckOut", kOrganizer | kCheckIn},
      {"AttendanceService/GetAttendanceCounts", kOrganizer | kCheckIn | kIntegration},
      {"AttendanceService/WatchAttendanceCounts", kOrganizer | kCheckIn | kIntegration},
      // Notification: the job runs and receives; organisers set policies.
      {"NotificationService/SetReminderPolicy", kOrganizer},
      {"NotificationService/GetReminderPolicy", kOrganizer | kReminderJob},
      {"NotificationService/ListScheduledReminders", kOrganizer | kReminderJob},
      {"NotificationService/ListNotifications", kOrganizer | kReminderJob},
      {"NotificationService/RunDueReminders", kReminderJob},
      {"NotificationService/SubscribeNotifications", kReminderJob},
      {"NotificationService/AckNotification", kReminderJob},
      {"NotificationService/CreateWebhook", 0},
      {"NotificationService/ListWebhooks", 0},
      {"NotificationService/DeleteWebhook", 0},
      // Tokens: admin only.
      {"AdminService/CreateToken", 0},
      {"AdminService/ListTokens", 0},
      {"AdminService/RevokeToken", 0},
  };
  return *table;
}

constexpr absl::string_view kPackage = "/convene.v1.";

}  // namespace

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

absl::Status AuthorizeMethod(const Caller& caller, absl::string_view method) {
  if (IsPublicMethod(method)) return absl::OkStatus();
  absl::string_view name = method;
  if (absl::StartsWith(name, kPackage)) name.remove_prefix(kPackage.size());
  auto it = Table().find(name);
  if (it != Table().end() &&
      (caller.role == Role::kAdmin || (it->second & Bit(caller.role)) != 0)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat("role ", RoleName(caller.role), " may not call ", name));
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

std::vector<std::string> KnownMethods() {
  std::vector<std::string> out;
  for (const auto& [name, roles] : Table()) out.push_back(absl::StrCat(kPackage, name));
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace convene::core
