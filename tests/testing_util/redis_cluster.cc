#include "testing_util/redis_cluster.h"

#include <cstdlib>
#include <filesystem>
#include <functional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace convene::testing_util {

absl::StatusOr<std::unique_ptr<RedisCluster>> RedisCluster::Start(int primaries, int replicas) {
  auto cluster = std::make_unique<RedisCluster>();
  cluster->primaries_ = primaries;
  const int total = primaries * (1 + replicas);
  std::vector<std::string> endpoints;
  // Every node's port and bus port, all distinct.
  const std::vector<int> ports = FreeLoopbackPorts(2 * total);
  if (ports.empty()) return absl::UnavailableError("no free loopback ports");
  for (int i = 0; i < total; ++i) {
    RedisServer::Options options;
    options.cluster = false;  // not the one-node cluster: this node joins others
    const int port = ports[2 * i];
    const int bus = ports[2 * i + 1];
    options.extra_args = {"--port", absl::StrCat(port), "--bind", "127.0.0.1",
                          "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                          "--cluster-port", absl::StrCat(bus), "--cluster-node-timeout", "2000"};
    absl::StatusOr<std::unique_ptr<RedisServer>> server = RedisServer::Start(options);
    if (!server.ok()) return server.status();
    endpoints.push_back(absl::StrCat("127.0.0.1:", port));
    cluster->nodes_.push_back({*std::move(server), port});
  }
  // redis-cli puts the first `primaries` endpoints as primaries.
  const std::string log = cluster->nodes_.front().server->dir() + "/cluster-create.log";
  const std::string command =
      absl::StrCat("redis-cli --cluster create ", absl::StrJoin(endpoints, " "),
                   " --cluster-replicas ", replicas, " --cluster-yes > ", log, " 2>&1");
  if (std::system(command.c_str()) != 0) {
    return absl::InternalError(absl::StrCat("failed: ", command));
  }
  if (absl::Status s = cluster->WaitUntilOk(absl::Seconds(30)); !s.ok()) return s;
  return cluster;
}

std::string RedisCluster::address() const {
  std::vector<std::string> seeds;
  for (int i = 0; i < primaries_; ++i) seeds.push_back(absl::StrCat("127.0.0.1:", nodes_[i].port));
  return absl::StrCat("redis-cluster://", absl::StrJoin(seeds, ","));
}

absl::Status RedisCluster::WaitUntilOk(absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  std::string last = "no attempt";
  while (absl::Now() < deadline) {
    bool all = true;
    for (Node& node : nodes_) {
      if (!node.server->running()) continue;
      absl::StatusOr<std::string> info = node.server->Run({"CLUSTER", "INFO"});
      if (!info.ok() || !absl::StrContains(*info, "cluster_state:ok") ||
          !absl::StrContains(*info, "cluster_slots_ok:16384")) {
        all = false;
        last = info.ok() ? *info : std::string(info.status().message());
        break;
      }
    }
    if (all) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(absl::StrCat("the cluster did not become ok: ", last));
}

absl::StatusOr<std::string> RedisCluster::NodeId(int i) {
  return nodes_[i].server->Run({"CLUSTER", "MYID"});
}

absl::StatusOr<int> RedisCluster::OwnerOf(int slot) {
  // CLUSTER NODES: "<id> <ip:port@bus> <flags> <master> ... <slot ranges>".
  absl::StatusOr<std::string> text = nodes_.front().server->Run({"CLUSTER", "NODES"});
  if (!text.ok()) return text.status();
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() < 9 || !absl::StrContains(f[2], "master")) continue;
    for (size_t k = 8; k < f.size(); ++k) {
      if (absl::StartsWith(f[k], "[")) continue;  // migrating/importing marks
      std::vector<absl::string_view> range = absl::StrSplit(f[k], '-');
      int from = 0, to = 0;
      if (!absl::SimpleAtoi(range[0], &from)) continue;
      to = from;
      if (range.size() == 2 && !absl::SimpleAtoi(range[1], &to)) continue;
      if (slot < from || slot > to) continue;
      const absl::string_view endpoint = f[1].substr(0, f[1].find('@'));
      for (int i = 0; i < static_cast<int>(nodes_.size()); ++i) {
        if (endpoint == absl::StrCat("127.0.0.1:", nodes_[i].port)) return i;
      }
    }
  }
  return -1;
}

absl::Status RedisCluster::MoveSlot(int slot, int to, const std::function<void()>& between_keys) {
  absl::StatusOr<int> from = OwnerOf(slot);
  if (!from.ok()) return from.status();
  if (*from < 0) return absl::NotFoundError(absl::StrCat("no owner of slot ", slot));
  if (*from == to) return absl::OkStatus();
  absl::StatusOr<std::string> from_id = NodeId(*from);
  absl::StatusOr<std::string> to_id = NodeId(to);
  if (!from_id.ok()) return from_id.status();
  if (!to_id.ok()) return to_id.status();
  RedisServer& source = *nodes_[*from].server;
  RedisServer& target = *nodes_[to].server;
  const std::string s = absl::StrCat(slot);
  if (auto r = target.Run({"CLUSTER", "SETSLOT", s, "IMPORTING", *from_id}); !r.ok()) {
    return r.status();
  }
  if (auto r = source.Run({"CLUSTER", "SETSLOT", s, "MIGRATING", *to_id}); !r.ok()) {
    return r.status();
  }
  while (true) {
    absl::StatusOr<std::string> keys = source.Run({"CLUSTER", "GETKEYSINSLOT", s, "1"});
    if (!keys.ok()) return keys.status();
    if (keys->empty()) break;
    absl::StatusOr<std::string> moved =
        source.Run({"MIGRATE", "127.0.0.1", absl::StrCat(nodes_[to].port), *keys, "0", "5000"});
    if (!moved.ok()) return moved.status();
    if (between_keys) between_keys();
  }
  for (int i = 0; i < primaries_; ++i) {
    if (auto r = nodes_[i].server->Run({"CLUSTER", "SETSLOT", s, "NODE", *to_id}); !r.ok()) {
      return r.status();
    }
  }
  return absl::OkStatus();
}

}  // namespace convene::testing_util
