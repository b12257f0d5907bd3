// RpcPolicy: the one access policy of every RPC, in one table
// (rpc_policy.cc): which roles may call it, which events the request
// touches (one function per RPC derives them from the request), and what a
// token limited to some events sees of the rest. Handlers call
// AdmitRequest() first thing; the authenticator checks the role before
// any handler runs. A method that is not in the table is refused.
//
//   if (absl::Status s = auth::AdmitRequest(*context, *request); !s.ok()) {
//     return rpc::FinishNow(context, s);
//   }
//
// tests/unit/auth/rpc_policy_test.cc walks every method of every service
// in the proto descriptors against its own expectations.
#ifndef CONVENE_AUTH_RPC_POLICY_H_
#define CONVENE_AUTH_RPC_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "core/access_policy.h"
#include "google/protobuf/message.h"
#include "grpcpp/server_context.h"

namespace convene::auth {

// Which events a request touches.
struct RequestScope {
  enum class Kind {
    // No event's data (FindMeetingTimes works on zones and working hours).
    kNoEvent,
    // One event, `event_ids[0]` (an empty id is refused to scoped tokens).
    kEvent,
    // The events listed; none listed means every event (subscription
    // filters, webhooks, tokens handed out).
    kEvents,
    // The whole calendar: only tokens for every event.
    kEveryEvent,
    // One object named by id (a token, a webhook, a notification) whose
    // own events decide, once the handler has found it.
    kNamedObject,
    // A list across events, answered with what lies in the caller's scope.
    kFilteredList,
  };
  Kind kind = Kind::kNoEvent;
  std::vector<std::string> event_ids;
};

// What a token limited to some events is told about anything outside them.
enum class OutOfScope {
  kDenied,      // PERMISSION_DENIED naming the field
  kNotFound,    // NOT_FOUND, exactly as for an id that does not exist
  kLeftOut,     // lists: those entries are not in the answer
  kNothing,     // the RPC touches no event
};

absl::string_view OutOfScopeName(OutOfScope o);

struct RpcPolicy {
  // "CalendarService/GetEvent".
  std::string method;
  // Full name of the request message ("convene.v1.GetEventRequest").
  std::string request_type;
  // Roles besides admin (admin may call everything).
  std::vector<core::Role> roles;
  // The field the events come from, for messages and the table in the
  // README ("event_id", "webhook.event_ids", ...).
  std::string scope_field;
  OutOfScope out_of_scope = OutOfScope::kDenied;
  // The events `request` (of type request_type) touches.
  RequestScope (*scope)(const google::protobuf::Message& request) = nullptr;
};

// Every entry, in the order of the proto files.
const std::vector<RpcPolicy>& RpcPolicies();

// The entry for "/convene.v1.Service/Method" or "Service/Method"; nullptr if
// there is none.
const RpcPolicy* FindRpcPolicy(absl::string_view method);

// Whether `caller`'s role may call `method`: PERMISSION_DENIED naming role
// and method; unknown methods are refused too. Health and reflection are
// public (core::IsPublicMethod).
absl::Status AuthorizeMethod(const core::Caller& caller, absl::string_view method);

// Whether `caller` may make `request`: the scope its RPC's function derives
// from it must lie in the caller's events. Named objects and filtered
// lists pass here; their handlers apply OutOfScope once they see the data.
// INTERNAL for a request type without an entry.
absl::Status AuthorizeRequest(const core::Caller& caller,
                              const google::protobuf::Message& request);

// What every handler calls first: AuthorizeRequest for the caller of this
// call (everything passes when authentication is off), then the checks
// every request gets whatever its RPC (rpc::CheckRequestFields: every
// Timestamp and Duration in range, every enum value one its enum names).
absl::Status AdmitRequest(const grpc::ServerContextBase& context,
                          const google::protobuf::Message& request);

}  // namespace convene::auth

#endif  // CONVENE_AUTH_RPC_POLICY_H_
