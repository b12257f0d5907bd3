// convene-attendance: serves convene.v1.AttendanceService.
#include "attendance/attendance_service.h"
#include "host/service_host.h"

int main(int argc, char** argv) {
  return convene::host::RunServiceHost(
      argc, argv,
      {.name = "convene-attendance",
       .usage = "Serves convene.v1.AttendanceService.\n"
                "  convene-attendance --listen=127.0.0.1:50051 "
                "--redis=unix:///path/redis.sock"},
      {convene::attendance::AttendanceServiceFactory()});
}
