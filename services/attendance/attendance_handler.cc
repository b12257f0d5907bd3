#include "attendance/attendance_handler.h"

#include <utility>

#include "attendance/registration_mapping.h"
#include "rpc/status_conversion.h"

namespace convene::attendance {
namespace {

auto ReplyRegistration(grpc::ServerUnaryReactor* reactor,
                       v1::Registration* response) {
  return [reactor, response](absl::StatusOr<core::Registration> r) {
    if (r.ok()) *response = RegistrationToProto(*r);
    reactor->Finish(rpc::ToGrpcStatus(r.status()));
  };
}

}  // namespace

grpc::ServerUnaryReactor* AttendanceHandler::Register(
    grpc::CallbackServerContext* context, const v1::RegisterRequest* request,
    v1::Registration* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<std::optional<core::AttendanceMode>> mode =
      ModeFromProto(request->mode(), "mode");
  absl::StatusOr<std::vector<RequestedDay>> days = DaysFromProto(request->days());
  if (!mode.ok() || !days.ok()) {
    reactor->Finish(rpc::ToGrpcStatus(!mode.ok() ? mode.status() : days.status()));
    return reactor;
  }
  app_.Register(request->event_id(), request->request_id(),
                ParticipantFromProto(request->participant()), *mode,
                *std::move(days), ReplyRegistration(reactor, response));
  return reactor;
}

grpc::ServerUnaryReactor* AttendanceHandler::GetRegistration(
    grpc::CallbackServerContext* context,
    const v1::GetRegistrationRequest* request, v1::Registration* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  app_.GetRegistration(request->event_id(), request->participant_id(),
                       ReplyRegistration(reactor, response));
  return reactor;
}

}  // namespace convene::attendance
