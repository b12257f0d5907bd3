// convene-calendar: serves convene.v1.CalendarService.
#include "calendar/calendar_service.h"
#include "host/service_host.h"

int main(int argc, char** argv) {
  return convene::host::RunServiceHost(
      argc, argv,
      {.name = "convene-calendar",
       .usage = "Serves convene.v1.CalendarService.\n"
                "  convene-calendar --listen=127.0.0.1:50051 --redis=unix:///path/redis.sock"},
      {convene::calendar::CalendarServiceFactory()});
}
