#include "attendance/attendance_service.h"

#include <memory>
#include <utility>

#include "attendance/attendance_app.h"
#include "attendance/attendance_handler.h"
#include "attendance/counts_watch.h"
#include "attendance/sheet_builder.h"
#include "attendance/sheet_follower.h"
#include "attendance/attendance_store.h"
#include "attendance/event_sheet_store.h"
#include "storage/owner_token.h"
#include "storage/redis_sync_client.h"

namespace convene::attendance {

namespace {

// Everything the attendance service holds, owned together; members are
// destroyed in reverse, so the follower stops before what it uses.
struct AttendanceParts {
  AttendanceParts(host::ServiceContext& context,
                  std::unique_ptr<CountsHub> counts_hub,
                  std::unique_ptr<storage::RedisSyncClient> feed_connection)
      : store(context.redis),
        sheets(context.redis),
        builder(context.redis, sheets),
        app(store, context.clock, &builder),
        hub(std::move(counts_hub)),
        handler(app, *hub, context.clock),
        feed_redis(std::move(feed_connection)),
        follower(*feed_redis, context.redis, builder, context.clock,
                 {.owner = storage::MakeOwnerToken()}) {
    hub->ReadFrom(app, context.clock);
  }
  storage::AttendanceStore store;
  storage::EventSheetStore sheets;
  SheetBuilder builder;
  AttendanceApp app;
  std::unique_ptr<CountsHub> hub;
  AttendanceHandler handler;
  std::unique_ptr<storage::RedisSyncClient> feed_redis;
  SheetFollower follower;
};

}  // namespace

host::ServiceFactory AttendanceServiceFactory() {
  return {AttendanceHandler::kServiceName,
          [](host::ServiceContext& context) -> absl::StatusOr<host::HostedService> {
            absl::StatusOr<std::unique_ptr<CountsHub>> hub =
                CountsHub::Start(context.redis_options);
            if (!hub.ok()) return hub.status();
            // The follower's reads block: a connection of its own.
            storage::RedisClientOptions options = context.redis_options;
            options.on_connection_change = nullptr;
            absl::StatusOr<std::unique_ptr<storage::RedisSyncClient>> feed =
                storage::RedisSyncClient::Start(options);
            if (!feed.ok()) return feed.status();
            auto parts = std::make_shared<AttendanceParts>(context, *std::move(hub),
                                                           *std::move(feed));
            parts->follower.Start();
            host::HostedService hosted{
                std::shared_ptr<grpc::Service>(parts, &parts->handler),
                [parts] { parts->hub->CloseAll(); }};
            hosted.component_health.push_back(
                {kSheetsHealthName, [follower = &parts->follower] {
                   return follower->Health(absl::Seconds(1));
                 }});
            hosted.gauges.push_back(
                {"convene_attendance_sheet_lag_seconds",
                 "How long the oldest calendar change attendance has not applied to its "
                 "sheets yet has waited (0: every change applied).",
                 [follower = &parts->follower]() -> std::optional<double> {
                   absl::StatusOr<absl::Duration> lag = follower->Lag(absl::Seconds(1));
                   if (!lag.ok()) return std::nullopt;
                   return absl::ToDoubleSeconds(*lag);
                 }});
            return hosted;
          }};
}

}  // namespace convene::attendance
