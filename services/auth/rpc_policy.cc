#include "auth/rpc_policy.h"

#include <algorithm>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/token_authenticator.h"
#include "convene/v1/admin.pb.h"
#include "convene/v1/attendance.pb.h"
#include "convene/v1/calendar.pb.h"
#include "convene/v1/notification.pb.h"
#include "rpc/request_fields.h"

namespace convene::auth {
namespace {

using ::google::protobuf::Message;
using Kind = RequestScope::Kind;
using core::Role;

constexpr Role kOrganizer = Role::kOrganizer;
constexpr Role kCheckIn = Role::kCheckIn;
constexpr Role kIntegration = Role::kIntegration;
constexpr Role kReminderJob = Role::kReminderJob;

constexpr absl::string_view kPackage = "/convene.v1.";

template <typename Request>
const Request& As(const Message& m) {
  return static_cast<const Request&>(m);
}

RequestScope OneEvent(const std::string& id) { return {Kind::kEvent, {id}}; }

template <typename Ids>
RequestScope Events(const Ids& ids) {
  return {Kind::kEvents, {ids.begin(), ids.end()}};
}

// An optional event id: one event when given, else the whole calendar.
RequestScope EventOrAll(const std::string& id) {
  return id.empty() ? RequestScope{Kind::kEveryEvent, {}} : OneEvent(id);
}

RequestScope NoEvent(const Message&) { return {Kind::kNoEvent, {}}; }
RequestScope EveryEvent(const Message&) { return {Kind::kEveryEvent, {}}; }
RequestScope NamedObject(const Message&) { return {Kind::kNamedObject, {}}; }
RequestScope FilteredList(const Message&) { return {Kind::kFilteredList, {}}; }

template <typename Request>
RpcPolicy Entry(std::string method, std::vector<Role> roles, std::string field,
                OutOfScope out_of_scope, RequestScope (*scope)(const Message&)) {
  return RpcPolicy{std::move(method), Request::descriptor()->full_name(),
                   std::move(roles), std::move(field), out_of_scope, scope};
}

// THE table. Roles besides admin; the scope function; what a scoped token
// is told about other events.
std::vector<RpcPolicy> MakeTable() {
  constexpr OutOfScope kDenied = OutOfScope::kDenied;
  const std::vector<Role> kReaders = {kOrganizer, kCheckIn, kIntegration, kReminderJob};
  return {
      // Calendar: organisers write; everyone who works with events reads.
      Entry<v1::CreateEventRequest>(
          "CalendarService/CreateEvent", {kOrganizer}, "(a new event)", kDenied, EveryEvent),
      Entry<v1::GetEventRequest>(
          "CalendarService/GetEvent", kReaders, "event_id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::GetEventRequest>(m).event_id()); }),
      Entry<v1::UpdateEventRequest>(
          "CalendarService/UpdateEvent", {kOrganizer}, "event.id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::UpdateEventRequest>(m).event().id()); }),
      Entry<v1::CancelEventRequest>(
          "CalendarService/CancelEvent", {kOrganizer}, "event_id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::CancelEventRequest>(m).event_id()); }),
      Entry<v1::ListEventsRequest>(
          "CalendarService/ListEvents", kReaders, "(the calendar)", kDenied, EveryEvent),
      Entry<v1::GetAgendaRequest>(
          "CalendarService/GetAgenda", kReaders, "event_id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::GetAgendaRequest>(m).event_id()); }),
      Entry<v1::ExportICalendarRequest>(
          "CalendarService/ExportICalendar", {kOrganizer, kIntegration},
          "event_id (empty: the calendar)", kDenied,
          [](const Message& m) { return EventOrAll(As<v1::ExportICalendarRequest>(m).event_id()); }),
      Entry<v1::ListEventChangesRequest>(
          "CalendarService/ListEventChanges", {kOrganizer, kIntegration}, "(the calendar)",
          kDenied, EveryEvent),
      Entry<v1::WatchEventChangesRequest>(
          "CalendarService/WatchEventChanges", {kOrganizer, kIntegration}, "(the calendar)",
          kDenied, EveryEvent),
      Entry<v1::FindMeetingTimesRequest>(
          "CalendarService/FindMeetingTimes", {kOrganizer, kIntegration}, "(no event)",
          OutOfScope::kNothing, NoEvent),
      Entry<v1::ListChangesRequest>(
          "CalendarService/ListChanges", {kOrganizer, kIntegration},
          "event_id (empty: the calendar)", kDenied,
          [](const Message& m) { return EventOrAll(As<v1::ListChangesRequest>(m).event_id()); }),
      Entry<v1::WatchChangesRequest>(
          "CalendarService/WatchChanges", {kOrganizer, kIntegration},
          "event_id (empty: the calendar)", kDenied,
          [](const Message& m) { return EventOrAll(As<v1::WatchChangesRequest>(m).event_id()); }),
      // Attendance: participants' data is the organisers'; check-in staff
      // read registrations to find people at the door, without their
      // contact details (core::ParticipantViewOf).
      Entry<v1::RegisterRequest>(
          "AttendanceService/Register", {kOrganizer}, "event_id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::RegisterRequest>(m).event_id()); }),
      Entry<v1::ChangeModeRequest>(
          "AttendanceService/ChangeMode", {kOrganizer}, "event_id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::ChangeModeRequest>(m).event_id()); }),
      Entry<v1::CancelRegistrationRequest>(
          "AttendanceService/CancelRegistration", {kOrganizer}, "event_id", kDenied,
          [](const Message& m) {
            return OneEvent(As<v1::CancelRegistrationRequest>(m).event_id());
          }),
      Entry<v1::GetRegistrationRequest>(
          "AttendanceService/GetRegistration", {kOrganizer, kCheckIn}, "event_id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::GetRegistrationRequest>(m).event_id()); }),
      Entry<v1::ListRegistrationsRequest>(
          "AttendanceService/ListRegistrations", {kOrganizer, kCheckIn}, "event_id", kDenied,
          [](const Message& m) {
            return OneEvent(As<v1::ListRegistrationsRequest>(m).event_id());
          }),
      Entry<v1::CheckInRequest>(
          "AttendanceService/CheckIn", {kOrganizer, kCheckIn}, "event_id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::CheckInRequest>(m).event_id()); }),
      Entry<v1::CheckOutRequest>(
          "AttendanceService/CheckOut", {kOrganizer, kCheckIn}, "event_id", kDenied,
          [](const Message& m) { return OneEvent(As<v1::CheckOutRequest>(m).event_id()); }),
      Entry<v1::GetAttendanceCountsRequest>(
          "AttendanceService/GetAttendanceCounts", {kOrganizer, kCheckIn, kIntegration},
          "event_id", kDenied,
          [](const Message& m) {
            return OneEvent(As<v1::GetAttendanceCountsRequest>(m).event_id());
          }),
      Entry<v1::WatchAttendanceCountsRequest>(
          "AttendanceService/WatchAttendanceCounts", {kOrganizer, kCheckIn, kIntegration},
          "event_id", kDenied,
          [](const Message& m) {
            return OneEvent(As<v1::WatchAttendanceCountsRequest>(m).event_id());
          }),
      Entry<v1::ExportAttendanceReportRequest>(
          "AttendanceService/ExportAttendanceReport", {kOrganizer}, "event_id", kDenied,
          [](const Message& m) {
            return OneEvent(As<v1::ExportAttendanceReportRequest>(m).event_id());
          }),
      Entry<v1::ForgetParticipantRequest>(
          "AttendanceService/ForgetParticipant", {kOrganizer},
          "event_id (empty: every event)", kDenied,
          [](const Message& m) {
            return EventOrAll(As<v1::ForgetParticipantRequest>(m).event_id());
          }),
      // Notification: the job runs and receives; organisers set policies.
      Entry<v1::SetReminderPolicyRequest>(
          "NotificationService/SetReminderPolicy", {kOrganizer}, "policy.event_id", kDenied,
          [](const Message& m) {
            return OneEvent(As<v1::SetReminderPolicyRequest>(m).policy().event_id());
          }),
      Entry<v1::GetReminderPolicyRequest>(
          "NotificationService/GetReminderPolicy", {kOrganizer, kReminderJob}, "event_id",
          kDenied,
          [](const Message& m) {
            return OneEvent(As<v1::GetReminderPolicyRequest>(m).event_id());
          }),
      Entry<v1::RunDueRemindersRequest>(
          "NotificationService/RunDueReminders", {kReminderJob}, "(every event's reminders)",
          kDenied, EveryEvent),
      Entry<v1::SubscribeNotificationsRequest>(
          "NotificationService/SubscribeNotifications", {kReminderJob},
          "event_ids (empty: every event)", kDenied,
          [](const Message& m) {
            return Events(As<v1::SubscribeNotificationsRequest>(m).event_ids());
          }),
      Entry<v1::AckNotificationRequest>(
          "NotificationService/AckNotification", {kReminderJob},
          "notification_id (its event)", OutOfScope::kNotFound, NamedObject),
      Entry<v1::ListScheduledRemindersRequest>(
          "NotificationService/ListScheduledReminders", {kOrganizer, kReminderJob},
          "event_id (empty: every event)", kDenied,
          [](const Message& m) {
            return EventOrAll(As<v1::ListScheduledRemindersRequest>(m).event_id());
          }),
      Entry<v1::ListNotificationsRequest>(
          "NotificationService/ListNotifications", {kOrganizer, kReminderJob}, "event_id",
          kDenied,
          [](const Message& m) {
            return OneEvent(As<v1::ListNotificationsRequest>(m).event_id());
          }),
      Entry<v1::CreateWebhookRequest>(
          "NotificationService/CreateWebhook", {}, "webhook.event_ids (empty: every event)",
          kDenied,
          [](const Message& m) {
            return Events(As<v1::CreateWebhookRequest>(m).webhook().event_ids());
          }),
      Entry<v1::ListWebhooksRequest>(
          "NotificationService/ListWebhooks", {}, "(each webhook's event_ids)",
          OutOfScope::kLeftOut, FilteredList),
      Entry<v1::DeleteWebhookRequest>(
          "NotificationService/DeleteWebhook", {}, "webhook_id (its event_ids)",
          OutOfScope::kNotFound, NamedObject),
      // Tokens: admin only; a scoped admin within its own events.
      Entry<v1::CreateTokenRequest>(
          "AdminService/CreateToken", {}, "token.event_ids (empty: every event)", kDenied,
          [](const Message& m) {
            return Events(As<v1::CreateTokenRequest>(m).token().event_ids());
          }),
      Entry<v1::ListTokensRequest>(
          "AdminService/ListTokens", {}, "(each token's event_ids)", OutOfScope::kLeftOut,
          FilteredList),
      Entry<v1::RevokeTokenRequest>(
          "AdminService/RevokeToken", {}, "token_id (its event_ids)", OutOfScope::kNotFound,
          NamedObject),
  };
}

struct Index {
  std::vector<RpcPolicy> table = MakeTable();
  absl::flat_hash_map<std::string, const RpcPolicy*> by_method;
  absl::flat_hash_map<std::string, const RpcPolicy*> by_request;
  Index() {
    for (const RpcPolicy& p : table) {
      by_method[p.method] = &p;
      by_request[p.request_type] = &p;
    }
  }
};

const Index& TheIndex() {
  static const Index* index = new Index();
  return *index;
}

std::string EveryEventMessage(const core::Caller& caller, const RpcPolicy& p) {
  return absl::StrCat("token ", caller.token_id, " is limited to ", caller.event_ids.size(),
                      " event(s); ", p.method, " ", p.scope_field,
                      " needs a token for every event");
}

}  // namespace

absl::string_view OutOfScopeName(OutOfScope o) {
  switch (o) {
    case OutOfScope::kDenied: return "PERMISSION_DENIED";
    case OutOfScope::kNotFound: return "NOT_FOUND, as for an unknown id";
    case OutOfScope::kLeftOut: return "left out of the list";
    case OutOfScope::kNothing: return "(touches no event)";
  }
  return "?";
}

const std::vector<RpcPolicy>& RpcPolicies() { return TheIndex().table; }

const RpcPolicy* FindRpcPolicy(absl::string_view method) {
  if (absl::StartsWith(method, kPackage)) method.remove_prefix(kPackage.size());
  auto it = TheIndex().by_method.find(method);
  return it == TheIndex().by_method.end() ? nullptr : it->second;
}

absl::Status AuthorizeMethod(const core::Caller& caller, absl::string_view method) {
  if (core::IsPublicMethod(method)) return absl::OkStatus();
  const RpcPolicy* p = FindRpcPolicy(method);
  if (p != nullptr &&
      (caller.role == Role::kAdmin ||
       std::find(p->roles.begin(), p->roles.end(), caller.role) != p->roles.end())) {
    return absl::OkStatus();
  }
  absl::string_view name = method;
  if (absl::StartsWith(name, kPackage)) name.remove_prefix(kPackage.size());
  return absl::PermissionDeniedError(
      absl::StrCat("role ", core::RoleName(caller.role), " may not call ", name));
}

absl::Status AuthorizeRequest(const core::Caller& caller, const Message& request) {
  auto it = TheIndex().by_request.find(request.GetDescriptor()->full_name());
  if (it == TheIndex().by_request.end()) {
    return absl::InternalError(absl::StrCat("no access policy for ",
                                            request.GetDescriptor()->full_name()));
  }
  const RpcPolicy& p = *it->second;
  const RequestScope scope = p.scope(request);
  switch (scope.kind) {
    case Kind::kNoEvent:
    case Kind::kNamedObject:
    case Kind::kFilteredList:
      return absl::OkStatus();
    case Kind::kEveryEvent:
      if (caller.all_events()) return absl::OkStatus();
      return absl::PermissionDeniedError(EveryEventMessage(caller, p));
    case Kind::kEvent: {
      const std::string& id = scope.event_ids.front();
      if (core::AuthorizeEvent(caller, id).ok()) return absl::OkStatus();
      return absl::PermissionDeniedError(absl::StrCat(
          p.scope_field, ": ", id.empty() ? "(every event)" : id,
          " is outside this token's scope"));
    }
    case Kind::kEvents:
      return core::AuthorizeScope(caller, scope.event_ids, p.scope_field);
  }
  return absl::InternalError("unknown scope kind");
}

absl::Status AdmitRequest(const grpc::ServerContextBase& context, const Message& request) {
  absl::StatusOr<std::optional<core::Caller>> caller = CallerOf(context);
  if (!caller.ok()) return caller.status();
  if (*caller) {
    if (absl::Status s = AuthorizeRequest(**caller, request); !s.ok()) return s;
  }
  return rpc::CheckRequestFields(request);
}

}  // namespace convene::auth
