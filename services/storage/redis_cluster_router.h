// RedisClient::ClusterRouter: what a RedisClient is for a redis-cluster://
// address. It keeps the cluster's slot map (CLUSTER SLOTS), one ordinary
// RedisClient per primary (one pipelined connection each, which loads
// scripts and functions on its own node when that node answers NOSCRIPT),
// and routes each call by the slot of its first key:
//
// * MOVED: the slot's new owner is recorded, the call is sent there, and the
//   whole map is read again (once, however many calls were moved);
// * ASK: the call goes to the named node once, preceded by ASKING;
// * TRYAGAIN and CLUSTERDOWN: sent again after a backoff (10 ms doubling,
//   at most 500 ms) while the call's deadline allows;
// * a node that cannot be reached makes the map be read again; the call
//   fails UNAVAILABLE (retryable) as with one Redis.
//
// A pipeline whose commands span slots (not a MULTI transaction) is cut
// into one-slot runs sent on their own; the replies come back in order. If
// a run fails as a whole, the pipeline fails, and any of the other runs may
// have been applied (not only a prefix, as on one Redis).
// The map is also read again every 30 s. Calls made before the first map
// arrives go to the first seed and follow its MOVED. A call's keys must all
// be in one slot (Convene's keys are hash-tagged per event); keyless
// commands (INFO, PING, PUBLISH ...) go to any primary. Internal to
// redis_client.cc.
#ifndef CONVENE_STORAGE_REDIS_CLUSTER_ROUTER_H_
#define CONVENE_STORAGE_REDIS_CLUSTER_ROUTER_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "storage/internal/event_loop.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"

namespace convene::storage {

// The key a command routes by, or nullopt for a keyless one.
std::optional<std::string> RoutingKey(const std::vector<std::string>& argv);

// A MOVED or ASK redirection in an error reply ("MOVED 3999 127.0.0.1:6381").
struct ClusterRedirect {
  bool ask = false;
  int slot = 0;
  RedisAddress::HostPort node;
};
std::optional<ClusterRedirect> ParseRedirect(absl::string_view error);

class RedisClient::ClusterRouter {
 public:
  explicit ClusterRouter(RedisClientOptions options);
  ~ClusterRouter();

  absl::Status Start();
  void Submit(std::vector<std::vector<std::string>> commands, absl::Time deadline,
              RawCallback done);
  bool connected() const;
  bool InLoopThread() const;
  void Shutdown();

 private:
  struct Call {
    std::vector<std::vector<std::string>> commands;
    absl::Time deadline;
    RawCallback done;
    std::optional<RedisAddress::HostPort> ask;  // one ASKING send to here
    int redirects = 0;
    int retries = 0;
  };

  void SubmitSplit(std::vector<std::vector<std::string>> commands, const std::vector<int>& slots,
                   absl::Time deadline, RawCallback done);
  void Send(std::unique_ptr<Call> call);
  void OnReplies(std::unique_ptr<Call> call, absl::StatusOr<std::vector<RedisReply>> replies);
  void RetryLater(std::unique_ptr<Call> call);
  // The client of `node`, started on first use; nullptr once shut down.
  RedisClient* Node(const RedisAddress::HostPort& node);
  // Reads CLUSTER SLOTS from some node, unless a read is under way.
  void Refresh();
  void OnSlots(const RedisAddress::HostPort& asked, absl::StatusOr<std::vector<RedisReply>> r);

  const RedisClientOptions options_;
  std::unique_ptr<internal::EventLoop> loop_;  // backoffs and the periodic refresh

  mutable absl::Mutex mu_;
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  bool refreshing_ ABSL_GUARDED_BY(mu_) = false;
  size_t refresh_turn_ ABSL_GUARDED_BY(mu_) = 0;
  // Slot -> index in nodes_, or -1 while unknown.
  std::vector<int> owner_ ABSL_GUARDED_BY(mu_);
  std::vector<RedisAddress::HostPort> nodes_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::unique_ptr<RedisClient>> clients_ ABSL_GUARDED_BY(mu_);

  // Loop-thread state: calls waiting out a backoff, and the refresh timer.
  uint64_t next_wait_ = 0;
  std::map<uint64_t, std::pair<std::unique_ptr<internal::Timer>, std::unique_ptr<Call>>> waiting_;
  std::unique_ptr<internal::Timer> refresh_timer_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REDIS_CLUSTER_ROUTER_H_
