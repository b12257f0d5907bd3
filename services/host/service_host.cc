#include "host/service_host.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "attendance/attendance_handler.h"
#include "calendar/calendar_handler.h"
#include "core/log.h"
#include "notification/notification_handler.h"
#include "rpc/server_config.h"
#include "rpc/server_runner.h"
#include "storage/attendance_store.h"
#include "storage/calendar_store.h"
#include "storage/event_sheet_store.h"
#include "storage/redis_address.h"
#include "storage/stream_tailer.h"
#include "storage/redis_sync_client.h"

namespace convene::host {

namespace {

// Everything the calendar service holds, owned together.
struct CalendarParts {
  CalendarParts(ServiceContext& context,
                std::unique_ptr<storage::StreamTailer> change_tailer)
      : store(context.redis),
        sheets(context.redis),
        app(store, sheets, context.clock),
        tailer(std::move(change_tailer)),
        handler(app, *tailer) {}
  storage::CalendarStore store;
  storage::EventSheetStore sheets;
  calendar::CalendarApp app;
  std::unique_ptr<storage::StreamTailer> tailer;
  calendar::CalendarHandler handler;
};

}  // namespace

ServiceFactory CalendarServiceFactory() {
  return {calendar::CalendarHandler::kServiceName,
          [](ServiceContext& context) -> absl::StatusOr<HostedService> {
            absl::StatusOr<std::unique_ptr<storage::StreamTailer>> tailer =
                storage::StreamTailer::Start(context.redis_options,
                                             storage::CalendarStore::ChangesKey());
            if (!tailer.ok()) return tailer.status();
            auto parts =
                std::make_shared<CalendarParts>(context, *std::move(tailer));
            return HostedService{
                std::shared_ptr<grpc::Service>(parts, &parts->handler),
                [parts] { parts->handler.CloseStreams(); }};
          }};
}

namespace {

// Everything the attendance service holds, owned together.
struct AttendanceParts {
  AttendanceParts(ServiceContext& context,
                  std::unique_ptr<attendance::CountsHub> counts_hub)
      : store(context.redis),
        app(store, context.clock),
        hub(std::move(counts_hub)),
        handler(app, *hub, context.clock) {}
  storage::AttendanceStore store;
  attendance::AttendanceApp app;
  std::unique_ptr<attendance::CountsHub> hub;
  attendance::AttendanceHandler handler;
};

}  // namespace

ServiceFactory AttendanceServiceFactory() {
  return {attendance::AttendanceHandler::kServiceName,
          [](ServiceContext& context) -> absl::StatusOr<HostedService> {
            absl::StatusOr<std::unique_ptr<attendance::CountsHub>> hub =
                attendance::CountsHub::Start(context.redis_options);
            if (!hub.ok()) return hub.status();
            auto parts = std::make_shared<AttendanceParts>(context, *std::move(hub));
            return HostedService{
                std::shared_ptr<grpc::Service>(parts, &parts->handler),
                [parts] { parts->hub->CloseAll(); }};
          }};
}

ServiceFactory NotificationServiceFactory() {
  return {notification::NotificationHandler::kServiceName, [](ServiceContext&) -> absl::StatusOr<HostedService> {
            return HostedService{std::make_shared<notification::NotificationHandler>(), {}};
          }};
}

int RunServiceHost(int argc, char** argv, const HostOptions& options,
                   std::vector<ServiceFactory> services) {
  // Before any thread exists, so that only the runner sees SIGTERM/SIGINT.
  rpc::BlockShutdownSignals();
  rpc::ParseServerFlags(argc, argv, options.usage);
  rpc::ServerConfig config = rpc::ServerConfigFromFlags();
  const std::string& program = options.name;

  absl::StatusOr<storage::RedisAddress> address =
      storage::RedisAddress::Parse(config.redis);
  if (!address.ok()) {
    core::LogError(absl::StrCat(program, ": --redis: ", address.status().message()));
    return 1;
  }
  storage::RedisClientOptions redis_options;
  redis_options.address = *address;
  redis_options.on_connection_change = [program](bool connected) {
    if (connected) {
      core::LogInfo(absl::StrCat(program, ": connected to Redis"));
    } else {
      core::LogWarn(absl::StrCat(program, ": lost Redis; reconnecting"));
    }
  };
  absl::StatusOr<std::unique_ptr<storage::RedisClient>> redis =
      storage::RedisClient::Start(redis_options);
  if (!redis.ok()) {
    core::LogError(absl::StrCat(program, ": ", redis.status().message()));
    return 1;
  }
  storage::RedisSyncClient probe_client(**redis);

  core::SystemClock clock;
  ServiceContext context{**redis, redis_options, clock};
  std::vector<HostedService> owned;
  rpc::ServerOptions server_options;
  server_options.name = program;
  for (ServiceFactory& factory : services) {
    absl::StatusOr<HostedService> hosted = factory.make(context);
    if (!hosted.ok()) {
      core::LogError(absl::StrCat(program, ": ", factory.health_name, ": ",
                                  hosted.status().message()));
      return 1;
    }
    owned.push_back(*std::move(hosted));
    server_options.services.push_back(owned.back().service.get());
    server_options.health_service_names.push_back(factory.health_name);
  }
  server_options.close_streams = [&owned] {
    for (const HostedService& hosted : owned) {
      if (hosted.close_streams) hosted.close_streams();
    }
  };
  server_options.health_probe = [&probe_client]() -> absl::Status {
    absl::StatusOr<storage::RedisReply> pong =
        probe_client.Command({"PING"}, absl::Seconds(1));
    return pong.status();
  };

  absl::StatusOr<std::unique_ptr<rpc::ServerRunner>> runner =
      rpc::ServerRunner::Start(config, std::move(server_options));
  if (!runner.ok()) {
    core::LogError(absl::StrCat(program, ": ", runner.status().message()));
    return 1;
  }
  (*runner)->Run();
  runner->reset();
  owned.clear();
  (*redis)->Shutdown();
  core::LogInfo(absl::StrCat(program, ": stopped"));
  return 0;
}

}  // namespace convene::host
