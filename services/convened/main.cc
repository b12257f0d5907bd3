// convened: the calendar, attendance and notification services in one process
// and on one port; the same code as the three separate binaries.
#include "host/service_host.h"

int main(int argc, char** argv) {
  return convene::host::RunServiceHost(
      argc, argv,
      {.name = "convened",
       .usage = "Serves the calendar, attendance and notification "
                "services on one port.\n"
                "  convened --listen=127.0.0.1:50051 --redis=unix:///path/redis.sock"},
      {convene::host::CalendarServiceFactory(),
       convene::host::AttendanceServiceFactory(),
       convene::host::NotificationServiceFactory()});
}
