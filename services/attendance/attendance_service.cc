#include "attendance/attendance_service.h"

#include <memory>
#include <utility>

#include "attendance/attendance_app.h"
#include "attendance/attendance_handler.h"
#include "attendance/counts_watch.h"
#include "storage/attendance_store.h"
#include "storage/reminder_store.h"

namespace convene::attendance {

namespace {

// Everything the attendance service holds, owned together.
struct AttendanceParts {
  AttendanceParts(host::ServiceContext& context,
                  std::unique_ptr<CountsHub> counts_hub)
      : store(context.redis),
        reminders(context.redis),
        app(store, context.clock, &reminders),
        hub(std::move(counts_hub)),
        handler(app, *hub, context.clock) {}
  storage::AttendanceStore store;
  storage::ReminderStore reminders;
  AttendanceApp app;
  std::unique_ptr<CountsHub> hub;
  AttendanceHandler handler;
};

}  // namespace

host::ServiceFactory AttendanceServiceFactory() {
  return {AttendanceHandler::kServiceName,
          [](host::ServiceContext& context) -> absl::StatusOr<host::HostedService> {
            absl::StatusOr<std::unique_ptr<CountsHub>> hub =
                CountsHub::Start(context.redis_options);
            if (!hub.ok()) return hub.status();
            auto parts = std::make_shared<AttendanceParts>(context, *std::move(hub));
            return host::HostedService{
                std::shared_ptr<grpc::Service>(parts, &parts->handler),
                [parts] { parts->hub->CloseAll(); }};
          }};
}

}  // namespace convene::attendance
