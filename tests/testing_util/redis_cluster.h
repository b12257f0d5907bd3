// RedisCluster: a real Redis Cluster on loopback for tests: `primaries`
// redis-server processes with cluster mode on (each also on a Unix socket
// for test setup), `replicas` replicas of each, joined by
// `redis-cli --cluster create --cluster-yes`, ready when every node reports
// cluster_state:ok with all 16384 slots served.
//
//   absl::StatusOr<std::unique_ptr<RedisCluster>> cluster = RedisCluster::Start(3, 1);
//   options.address = *RedisAddress::Parse((*cluster)->address());
#ifndef CONVENE_TESTS_TESTING_UTIL_REDIS_CLUSTER_H_
#define CONVENE_TESTS_TESTING_UTIL_REDIS_CLUSTER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "testing_util/redis_server.h"

namespace convene::testing_util {

class RedisCluster {
 public:
  struct Node {
    std::unique_ptr<RedisServer> server;
    int port = 0;
  };

  static absl::StatusOr<std::unique_ptr<RedisCluster>> Start(int primaries, int replicas);

  // "redis-cluster://127.0.0.1:<port>,..." with every primary as a seed.
  std::string address() const;
  // Primaries first (as created), then replicas.
  std::vector<Node>& nodes() { return nodes_; }
  int primaries() const { return primaries_; }

  // The node id (CLUSTER MYID) of nodes()[i].
  absl::StatusOr<std::string> NodeId(int i);
  // The index in nodes() of the primary serving `slot`, or -1.
  absl::StatusOr<int> OwnerOf(int slot);
  // Moves `slot` with its keys from its owner to primary `to`, the way
  // redis-cli --cluster reshard does: IMPORTING/MIGRATING, MIGRATE in
  // batches, then SETSLOT NODE on every primary. `between_keys`, if set,
  // runs after each key moved (so a test can act mid-migration).
  absl::Status MoveSlot(int slot, int to, const std::function<void()>& between_keys = nullptr);
  // Waits until every node agrees the cluster is ok.
  absl::Status WaitUntilOk(absl::Duration timeout);

 private:
  int primaries_ = 0;
  std::vector<Node> nodes_;
};

}  // namespace convene::testing_util

#endif  // CONVENE_TESTS_TESTING_UTIL_REDIS_CLUSTER_H_
