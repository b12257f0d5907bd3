// The gRPC face of convene.v1.AttendanceService: checks wire input, maps
// proto to domain, calls AttendanceApp, maps the result back. No Redis here.
//
//   convene::attendance::AttendanceHandler handler(app);
//   builder.RegisterService(&handler);
//
// RPCs not built yet answer UNIMPLEMENTED (the generated base class does so
// for every method that is not overridden).
#ifndef CONVENE_ATTENDANCE_ATTENDANCE_HANDLER_H_
#define CONVENE_ATTENDANCE_ATTENDANCE_HANDLER_H_

#include "attendance/attendance_app.h"
#include "attendance/counts_watch.h"
#include "convene/v1/attendance.grpc.pb.h"
#include "core/clock.h"

namespace convene::attendance {

// Serves convene.v1.AttendanceService on gRPC's callback API.
class AttendanceHandler final : public v1::AttendanceService::CallbackService {
 public:
  // The fully qualified service name, as health checks and reflection use it.
  static constexpr char kServiceName[] = "convene.v1.AttendanceService";

  // `app` must outlive the handler.
  // `app`, `counts_hub` and `clock` must outlive the handler.
  AttendanceHandler(AttendanceApp& app, CountsHub& counts_hub,
                    const core::Clock& clock)
      : app_(app), counts_hub_(counts_hub), clock_(clock) {}

  grpc::ServerUnaryReactor* Register(grpc::CallbackServerContext* context,
                                     const v1::RegisterRequest* request,
                                     v1::Registration* response) override;
  grpc::ServerUnaryReactor* ChangeMode(grpc::CallbackServerContext* context,
                                       const v1::ChangeModeRequest* request,
                                       v1::Registration* response) override;
  grpc::ServerUnaryReactor* CancelRegistration(
      grpc::CallbackServerContext* context,
      const v1::CancelRegistrationRequest* request,
      v1::Registration* response) override;
  grpc::ServerUnaryReactor* CheckIn(grpc::CallbackServerContext* context,
                                    const v1::CheckInRequest* request,
                                    v1::CheckInRecord* response) override;
  grpc::ServerUnaryReactor* GetAttendanceCounts(
      grpc::CallbackServerContext* context,
      const v1::GetAttendanceCountsRequest* request,
      v1::AttendanceCounts* response) override;
  grpc::ServerWriteReactor<v1::AttendanceCounts>* WatchAttendanceCounts(
      grpc::CallbackServerContext* context,
      const v1::WatchAttendanceCountsRequest* request) override;
  grpc::ServerUnaryReactor* ListRegistrations(
      grpc::CallbackServerContext* context,
      const v1::ListRegistrationsRequest* request,
      v1::ListRegistrationsResponse* response) override;
  grpc::ServerUnaryReactor* CheckOut(grpc::CallbackServerContext* context,
                                     const v1::CheckOutRequest* request,
                                     v1::CheckInRecord* response) override;
  grpc::ServerUnaryReactor* ExportAttendanceReport(
      grpc::CallbackServerContext* context,
      const v1::ExportAttendanceReportRequest* request,
      v1::ExportAttendanceReportResponse* response) override;
  grpc::ServerUnaryReactor* ForgetParticipant(
      grpc::CallbackServerContext* context,
      const v1::ForgetParticipantRequest* request,
      v1::ForgetParticipantResponse* response) override;
  grpc::ServerUnaryReactor* GetRegistration(
      grpc::CallbackServerContext* context,
      const v1::GetRegistrationRequest* request,
      v1::Registration* response) override;

 private:
  AttendanceApp& app_;
  CountsHub& counts_hub_;
  const core::Clock& clock_;
};

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_ATTENDANCE_HANDLER_H_
