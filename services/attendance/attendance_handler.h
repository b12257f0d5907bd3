// The gRPC face of convene.v1.AttendanceService: checks wire input, maps proto to
// domain, calls the app layer, maps the result back. No Redis and no
// time-zone arithmetic here.
//
//   convene::attendance::AttendanceHandler handler;
//   builder.RegisterService(&handler);
//
// RPCs not built yet answer UNIMPLEMENTED (the generated base class does so
// for every method that is not overridden).
#ifndef CONVENE_ATTENDANCE_ATTENDANCE_HANDLER_H_
#define CONVENE_ATTENDANCE_ATTENDANCE_HANDLER_H_

#include "convene/v1/attendance.grpc.pb.h"

namespace convene::attendance {

// Serves convene.v1.AttendanceService on gRPC's callback API.
class AttendanceHandler final : public convene::v1::AttendanceService::CallbackService {
 public:
  // The fully qualified service name, as health checks and reflection use it.
  static constexpr char kServiceName[] = "convene.v1.AttendanceService";
};

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_ATTENDANCE_HANDLER_H_
