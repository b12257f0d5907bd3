// The attendance service's wiring: its store, app, counts hub and handler
// on the host's Redis client. convene-attendance serves it alone; convened
// beside the others.
//
//   host::RunServiceHost(argc, argv, options, {attendance::AttendanceServiceFactory()});
#ifndef CONVENE_ATTENDANCE_ATTENDANCE_SERVICE_H_
#define CONVENE_ATTENDANCE_ATTENDANCE_SERVICE_H_

#include "host/service_host.h"

namespace convene::attendance {

host::ServiceFactory AttendanceServiceFactory();

}  // namespace convene::attendance

#endif  // CONVENE_ATTENDANCE_ATTENDANCE_SERVICE_H_
