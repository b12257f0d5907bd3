// convened: the calendar, attendance and notification services in one process
// and on one port; the same code as the three separate binaries.
#include "attendance/attendance_service.h"
#include "calendar/calendar_service.h"
#include "host/service_host.h"
#include "notification/notification_service.h"

int main(int argc, char** argv) {
  return convene::host::RunServiceHost(
      argc, argv,
      {.name = "convened",
       .usage = "Serves the calendar, attendance and notification "
                "services on one port.\n"
                "  convened --listen=127.0.0.1:50051 --redis=unix:///path/redis.sock"},
      {convene::calendar::CalendarServiceFactory(),
       convene::attendance::AttendanceServiceFactory(),
       convene::notification::NotificationServiceFactory()});
}
