// The access policy of every RPC, walked from the proto descriptors: each
// method of each service must have a policy entry and an expectation here
// (a new RPC without either fails), and every role, scoped and not, is
// checked against requests naming an event inside and outside its scope.
// The expectations are written out below, independently of the table in
// rpc_policy.cc.
#include "auth/rpc_policy.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "convene/v1/admin.pb.h"
#include "convene/v1/attendance.pb.h"
#include "convene/v1/calendar.pb.h"
#include "convene/v1/notification.pb.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"
#include "gtest/gtest.h"

namespace convene::auth {
namespace {

using core::Caller;
using core::Role;
using ::google::protobuf::Descriptor;
using ::google::protobuf::FieldDescriptor;
using ::google::protobuf::Message;

// How the events a request touches are found.
enum class Expect {
  kOne,       // its event field
  kOneOrAll,  // its event field; empty = every event
  kList,      // its event list; empty = every event
  kAll,       // the whole calendar
  kNone,      // no event
  kNamed,     // an object by id: decided by the handler (NOT_FOUND)
  kFiltered,  // a list filtered to the caller's scope
};

struct Expectation {
  std::set<Role> roles;  // besides admin
  Expect scope;
};

const std::map<std::string, Expectation>& Expected() {
  const std::set<Role> readers = {Role::kOrganizer, Role::kCheckIn, Role::kIntegration,
                                  Role::kReminderJob};
  const std::set<Role> org = {Role::kOrganizer};
  const std::set<Role> org_int = {Role::kOrganizer, Role::kIntegration};
  const std::set<Role> desk = {Role::kOrganizer, Role::kCheckIn};
  const std::set<Role> counts = {Role::kOrganizer, Role::kCheckIn, Role::kIntegration};
  const std::set<Role> job = {Role::kReminderJob};
  const std::set<Role> org_job = {Role::kOrganizer, Role::kReminderJob};
  static const auto* expected = new std::map<std::string, Expectation>{
      {"CalendarService/CreateEvent", {org, Expect::kAll}},
      {"CalendarService/GetEvent", {readers, Expect::kOne}},
      {"CalendarService/UpdateEvent", {org, Expect::kOne}},
      {"CalendarService/CancelEvent", {org, Expect::kOne}},
      {"CalendarService/ListEvents", {readers, Expect::kAll}},
      {"CalendarService/GetAgenda", {readers, Expect::kOne}},
      {"CalendarService/ExportICalendar", {org_int, Expect::kOneOrAll}},
      {"CalendarService/ListEventChanges", {org_int, Expect::kAll}},
      {"CalendarService/WatchEventChanges", {org_int, Expect::kAll}},
      {"CalendarService/FindMeetingTimes", {org_int, Expect::kNone}},
      {"CalendarService/ListChanges", {org_int, Expect::kOneOrAll}},
      {"CalendarService/WatchChanges", {org_int, Expect::kOneOrAll}},
      {"AttendanceService/Register", {org, Expect::kOne}},
      {"AttendanceService/ChangeMode", {org, Expect::kOne}},
      {"AttendanceService/CancelRegistration", {org, Expect::kOne}},
      {"AttendanceService/GetRegistration", {desk, Expect::kOne}},
      {"AttendanceService/ListRegistrations", {desk, Expect::kOne}},
      {"AttendanceService/CheckIn", {desk, Expect::kOne}},
      {"AttendanceService/CheckOut", {desk, Expect::kOne}},
      {"AttendanceService/GetAttendanceCounts", {counts, Expect::kOne}},
      {"AttendanceService/WatchAttendanceCounts", {counts, Expect::kOne}},
      {"AttendanceService/ExportAttendanceReport", {org, Expect::kOne}},
      {"AttendanceService/ForgetParticipant", {org, Expect::kOneOrAll}},
      {"NotificationService/SetReminderPolicy", {org, Expect::kOne}},
      {"NotificationService/GetReminderPolicy", {org_job, Expect::kOne}},
      {"NotificationService/RunDueReminders", {job, Expect::kAll}},
      {"NotificationService/SubscribeNotifications", {job, Expect::kList}},
      {"NotificationService/AckNotification", {job, Expect::kNamed}},
      {"NotificationService/ListScheduledReminders", {org_job, Expect::kOneOrAll}},
      {"NotificationService/ListNotifications", {org_job, Expect::kOne}},
      {"NotificationService/CreateWebhook", {{}, Expect::kList}},
      {"NotificationService/ListWebhooks", {{}, Expect::kFiltered}},
      {"NotificationService/DeleteWebhook", {{}, Expect::kNamed}},
      {"AdminService/CreateToken", {{}, Expect::kList}},
      {"AdminService/ListTokens", {{}, Expect::kFiltered}},
      {"AdminService/RevokeToken", {{}, Expect::kNamed}},
  };
  return *expected;
}

// Every service of the package, from the generated descriptor pool.
// Every service in every proto file of the package, so that a new service
// is walked too.
std::vector<const ::google::protobuf::ServiceDescriptor*> Services() {
  std::vector<const ::google::protobuf::ServiceDescriptor*> out;
  for (const ::google::protobuf::FileDescriptor* file :
       {v1::CreateEventRequest::descriptor()->file(), v1::RegisterRequest::descriptor()->file(),
        v1::SetReminderPolicyRequest::descriptor()->file(),
        v1::CreateTokenRequest::descriptor()->file()}) {
    for (int i = 0; i < file->service_count(); ++i) out.push_back(file->service(i));
  }
  return out;
}

// Puts `event` everywhere a request can name an event: fields called
// event_id, an `event` message's id, lists called event_ids; recursively.
void NameEvent(Message& m, const std::string& event, int depth = 0) {
  if (depth > 3) return;
  const Descriptor* d = m.GetDescriptor();
  const auto* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->type() == FieldDescriptor::TYPE_STRING) {
      if (f->is_repeated() && f->name() == "event_ids" && !event.empty()) {
        r->AddString(&m, f, event);
      } else if (!f->is_repeated() &&
                 (f->name() == "event_id" || (f->name() == "id" && d->name() == "Event"))) {
        r->SetString(&m, f, event);
      }
    } else if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_repeated() &&
               f->message_type()->file()->package() == "convene.v1") {
      NameEvent(*r->MutableMessage(&m, f), event, depth + 1);
    }
  }
}

// What the policy must answer: true = allowed.
bool ExpectedAllowed(const Expectation& e, const Caller& c, const std::string& event) {
  if (c.role != Role::kAdmin && e.roles.count(c.role) == 0) return false;
  const bool everywhere = c.all_events();
  const bool in_scope =
      everywhere || (!event.empty() && std::find(c.event_ids.begin(), c.event_ids.end(),
                                                 event) != c.event_ids.end());
  switch (e.scope) {
    case Expect::kNone:
    case Expect::kNamed:
    case Expect::kFiltered:
      return true;
    case Expect::kAll:
      return everywhere;
    case Expect::kOne:
      return in_scope;
    case Expect::kOneOrAll:
    case Expect::kList:
      return event.empty() ? everywhere : in_scope;
  }
  return false;
}

TEST(RpcPolicy, EveryMethodInTheDescriptorsHasOneEntryAndAnExpectation) {
  int methods = 0;
  for (const auto* service : Services()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      const std::string name = absl::StrCat(service->name(), "/", method->name());
      ++methods;
      const RpcPolicy* p = FindRpcPolicy(absl::StrCat("/", service->full_name(), "/",
                                                      method->name()));
      ASSERT_NE(p, nullptr) << name << " has no access policy";
      EXPECT_EQ(p->request_type, method->input_type()->full_name()) << name;
      EXPECT_FALSE(p->scope_field.empty()) << name;
      EXPECT_EQ(Expected().count(name), 1u) << name << " has no expectation in this test";
    }
  }
  EXPECT_EQ(RpcPolicies().size(), static_cast<size_t>(methods))
      << "the table names methods the services do not have";
  EXPECT_EQ(Expected().size(), static_cast<size_t>(methods));
  // One request type per method: the handlers find their entry by it.
  std::set<std::string> types;
  for (const RpcPolicy& p : RpcPolicies()) types.insert(p.request_type);
  EXPECT_EQ(types.size(), RpcPolicies().size());
}

TEST(RpcPolicy, EveryRoleScopedOrNotGetsWhatTheExpectationsSay) {
  const std::vector<Role> roles = {Role::kAdmin, Role::kOrganizer, Role::kCheckIn,
                                   Role::kIntegration, Role::kReminderJob};
  int checked = 0;
  for (const auto* service : Services()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto* method = service->method(i);
      const std::string name = absl::StrCat(service->name(), "/", method->name());
      const std::string path = absl::StrCat("/", service->full_name(), "/", method->name());
      auto expected = Expected().find(name);
      ASSERT_NE(expected, Expected().end()) << name;
      const Message* prototype =
          ::google::protobuf::MessageFactory::generated_factory()->GetPrototype(
              method->input_type());
      ASSERT_NE(prototype, nullptr) << name;
      for (Role role : roles) {
        for (const std::vector<std::string>& scope :
             std::vector<std::vector<std::string>>{{}, {"ev_a"}, {"ev_a", "ev_c"}}) {
          const Caller caller{"tok_test", role, scope};
          for (const std::string event : {"ev_a", "ev_b", ""}) {
            std::unique_ptr<Message> request(prototype->New());
            NameEvent(*request, event);
            absl::Status s = AuthorizeMethod(caller, path);
            if (s.ok()) s = AuthorizeRequest(caller, *request);
            const bool want = ExpectedAllowed(expected->second, caller, event);
            EXPECT_EQ(s.ok(), want)
                << name << " role=" << core::RoleName(role) << " scope=" << scope.size()
                << " event=\"" << event << "\": " << s;
            if (!s.ok()) {
              EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << name << ": " << s;
            }
            ++checked;
          }
        }
      }
    }
  }
  EXPECT_EQ(checked, static_cast<int>(Expected().size()) * 5 * 3 * 3);
}

TEST(RpcPolicy, RefusalsNameTheFieldAndUnknownMethodsAreRefused) {
  const Caller desk{"tok_1", Role::kCheckIn, {"ev_1"}};
  v1::CheckInRequest check_in;
  check_in.set_event_id("ev_2");
  EXPECT_EQ(AuthorizeRequest(desk, check_in).message(),
            "event_id: ev_2 is outside this token's scope");
  absl::Status s = AuthorizeMethod(desk, "/convene.v1.AttendanceService/Register");
  EXPECT_EQ(s.message(), "role checkin may not call AttendanceService/Register");
  const Caller organizer{"tok_2", Role::kOrganizer, {"ev_1"}};
  v1::SetReminderPolicyRequest policy;
  policy.mutable_policy()->set_event_id("ev_2");
  EXPECT_EQ(AuthorizeRequest(organizer, policy).message(),
            "policy.event_id: ev_2 is outside this token's scope");
  const Caller admin{"tok_3", Role::kAdmin, {}};
  EXPECT_FALSE(AuthorizeMethod(admin, "/convene.v1.CalendarService/DropEverything").ok());
  EXPECT_TRUE(AuthorizeMethod(desk, "/grpc.health.v1.Health/Check").ok());
}

}  // namespace
}  // namespace convene::auth
