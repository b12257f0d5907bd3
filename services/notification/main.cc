// convene-notification: serves convene.v1.NotificationService.
#include "host/service_host.h"

int main(int argc, char** argv) {
  return convene::host::RunServiceHost(
      argc, argv,
      {.name = "convene-notification",
       .usage = "Serves convene.v1.NotificationService.\n"
                "  convene-notification --listen=127.0.0.1:50051 --redis=unix:///path/redis.sock"},
      {convene::host::NotificationServiceFactory()});
}
