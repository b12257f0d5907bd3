// StreamTailer: follows one Redis Stream live and hands every new entry, in
// order, to the listeners subscribed at that moment. One tailer per process
// and stream serves any number of watchers (gRPC server streams) with one
// blocking XREAD on its own connection, so watchers never block the shared
// pipelined connection and a change written through any replica reaches
// every replica's watchers.
//
//   auto tailer = StreamTailer::Start(options, keys::CalendarChanges());
//   uint64_t id = (*tailer)->Subscribe([](const std::vector<RedisReply>& e) {
//     ... e[i] is [entry id, [field, value, ...]] ...
//   });
//   (*tailer)->Unsubscribe(id);
//
// Listeners run on the tailer's thread and must be quick. After Unsubscribe
// returns, the listener is not running and will not be called again.
#ifndef CONVENE_STORAGE_STREAM_TAILER_H_
#define CONVENE_STORAGE_STREAM_TAILER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "storage/redis_client_options.h"
#include "storage/redis_reply.h"
#include "storage/redis_sync_client.h"

namespace convene::storage {

class StreamTailer {
 public:
  using Listener = std::function<void(const std::vector<RedisReply>& entries)>;

  // Connects its own client (it keeps retrying while Redis is away) and
  // starts following `key` from its newest entry.
  static absl::StatusOr<std::unique_ptr<StreamTailer>> Start(
      RedisClientOptions options, std::string key);

  ~StreamTailer();

  // Adds a listener for entries written from now on; returns its handle.
  uint64_t Subscribe(Listener listener);
  // Removes a listener; waits if it is running.
  void Unsubscribe(uint64_t handle);

  // The id of the newest entry seen ("0-0" before any).
  std::string last_id() const;

 private:
  StreamTailer(std::unique_ptr<RedisSyncClient> redis, std::string key);
  void Run();

  std::unique_ptr<RedisSyncClient> redis_;
  const std::string key_;
  std::atomic<bool> stop_{false};

  mutable absl::Mutex mu_;
  std::string last_id_ ABSL_GUARDED_BY(mu_);
  bool positioned_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t next_handle_ ABSL_GUARDED_BY(mu_) = 1;
  absl::flat_hash_map<uint64_t, Listener> listeners_ ABSL_GUARDED_BY(mu_);
  // Held while listeners run, so Unsubscribe can wait for them.
  absl::Mutex delivery_mu_;
  std::thread thread_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_STREAM_TAILER_H_
