#include "calendar/calendar_service.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "calendar/calendar_app.h"
#include "calendar/calendar_handler.h"
#include "calendar/change_feed.h"
#include "calendar/change_feed_relay.h"
#include "calendar/calendar_store.h"
#include "calendar/change_feed_store.h"
#include "core/blocking_call.h"
#include "storage/keys.h"
#include "storage/owner_token.h"
#include "storage/planner_feed.h"
#include "storage/redis_sync_client.h"
#include "storage/stream_tailer.h"

namespace convene::calendar {

namespace {

// Everything the calendar service holds, owned together; members are
// destroyed in reverse, so the relay stops before what it uses.
struct CalendarParts {
  CalendarParts(host::ServiceContext& context,
                std::unique_ptr<storage::StreamTailer> change_tailer,
                std::unique_ptr<storage::StreamTailer> change_feed_tailer,
                std::unique_ptr<storage::RedisSyncClient> relay_connection,
                std::unique_ptr<ChangeAppliedWaiter> waiter)
      : store(context.redis),
        applied_waiter(std::move(waiter)),
        app(store, context.clock),
        tailer(std::move(change_tailer)),
        feed_store(context.redis),
        feed(feed_store),
        feed_tailer(std::move(change_feed_tailer)),
        relay_redis(std::move(relay_connection)),
        relay_follow(*relay_redis, ChangeFeedFollowKeys()),
        relay(relay_follow, *relay_redis, context.clock,
              {.owner = storage::MakeOwnerToken()}),
        pseudonym_keys(context.redis),
        handler(app, *tailer, feed, *feed_tailer) {
    app.set_change_applied_waiter(applied_waiter.get());
  }
  storage::CalendarStore store;
  std::unique_ptr<ChangeAppliedWaiter> applied_waiter;
  CalendarApp app;
  std::unique_ptr<storage::StreamTailer> tailer;
  storage::ChangeFeedStore feed_store;
  ChangeFeedApp feed;
  std::unique_ptr<storage::StreamTailer> feed_tailer;
  std::unique_ptr<storage::RedisSyncClient> relay_redis;
  storage::PlannerFeed relay_follow;
  ChangeFeedRelay relay;
  PseudonymKeySource pseudonym_keys;
  CalendarHandler handler;
};

}  // namespace

host::ServiceFactory CalendarServiceFactory() {
  return {CalendarHandler::kServiceName,
          [](host::ServiceContext& context) -> absl::StatusOr<host::HostedService> {
            absl::StatusOr<std::unique_ptr<storage::StreamTailer>> tailer =
                storage::StreamTailer::Start(context.redis_options,
                                             storage::CalendarStore::ChangesKey());
            if (!tailer.ok()) return tailer.status();
            absl::StatusOr<std::unique_ptr<storage::StreamTailer>> feed_tailer =
                storage::StreamTailer::Start(context.redis_options,
                                             storage::ChangeFeedStore::Key());
            if (!feed_tailer.ok()) return feed_tailer.status();
            // The relay's reads block: a connection of its own.
            storage::RedisClientOptions options = context.redis_options;
            options.on_connection_change = nullptr;
            absl::StatusOr<std::unique_ptr<storage::RedisSyncClient>> relay_redis =
                storage::RedisSyncClient::Start(options);
            if (!relay_redis.ok()) return relay_redis.status();
            absl::StatusOr<std::unique_ptr<ChangeAppliedWaiter>> waiter =
                ChangeAppliedWaiter::Start(context.redis_options, {});
            if (!waiter.ok()) return waiter.status();
            auto parts = std::make_shared<CalendarParts>(
                context, *std::move(tailer), *std::move(feed_tailer),
                *std::move(relay_redis), *std::move(waiter));
            parts->handler.set_pseudonym_keys(&parts->pseudonym_keys);
            parts->relay.Start();
            host::HostedService hosted{std::shared_ptr<grpc::Service>(parts, &parts->handler),
                                       [parts] { parts->handler.CloseStreams(); }};
            hosted.events_exist = [parts](absl::string_view field,
                                          const std::vector<std::string>& ids) -> absl::Status {
              for (size_t i = 0; i < ids.size(); ++i) {
                absl::StatusOr<bool> exists = core::BlockingCall<bool>(
                    [&](auto done) { parts->store.Exists(ids[i], std::move(done)); },
                    absl::Seconds(5));
                if (!exists.ok()) return exists.status();
                if (!*exists) {
                  return absl::NotFoundError(absl::StrCat(field, "[", i, "]: no event ", ids[i]));
                }
              }
              return absl::OkStatus();
            };
            return hosted;
          }};
}

}  // namespace convene::calendar
