// RedisAddress: where a Redis server is, parsed from a URI.
//
// Accepted forms:
//   redis://host:port          TCP (host may be a name, an IPv4 or a [IPv6])
//   redis://host               TCP on port 6379
//   unix:///path/to/redis.sock a Unix domain socket (absolute path)
//   redis-sentinel://h1:26379,h2:26379/mymaster
//                              Sentinel discovery: RedisClient asks the
//                              Sentinels for the primary at every
//                              (re)connection
//   redis-cluster://h1:6379,h2:6379
//                              Redis Cluster seed nodes: RedisClient learns
//                              the slot map from them and routes each call
//                              to the primary owning its key's slot
//
// Credentials never go in the address (they would end up in logs): use
// RedisClientOptions::username/password.
//
// Example:
//   absl::StatusOr<RedisAddress> address =
//       RedisAddress::Parse("unix:///run/redis/redis.sock");
//   if (!address.ok()) return address.status();  // INVALID_ARGUMENT
//   std::cout << address->ToString();
#ifndef CONVENE_STORAGE_REDIS_ADDRESS_H_
#define CONVENE_STORAGE_REDIS_ADDRESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace convene::storage {

class RedisAddress {
 public:
  enum class Kind { kTcp, kUnix, kSentinel, kCluster };

  // One host and port (a TCP server, or one Sentinel).
  struct HostPort {
    std::string host;  // without IPv6 brackets
    int port = 0;
    friend bool operator==(const HostPort&, const HostPort&) = default;
  };

  static constexpr int kDefaultPort = 6379;
  static constexpr int kDefaultSentinelPort = 26379;

  // Parses one of the forms above; anything else is INVALID_ARGUMENT with a
  // message naming the address and what is wrong with it.
  static absl::StatusOr<RedisAddress> Parse(absl::string_view uri);

  // redis://localhost:6379.
  RedisAddress();

  Kind kind() const { return kind_; }
  // TCP only: the host name or IP (IPv6 without brackets), and the port;
  // empty and 0 for other kinds.
  const std::string& host() const;
  int port() const;
  // Unix only: the socket's absolute path.
  const std::string& unix_path() const { return unix_path_; }
  // Sentinel only: the Sentinels to ask, in order, and the monitored master.
  const std::vector<HostPort>& sentinels() const { return servers_; }
  const std::string& master_name() const { return master_name_; }
  // Cluster only: the seed nodes, in order.
  const std::vector<HostPort>& seeds() const { return servers_; }
  // A TCP address of one host and port.
  static RedisAddress Tcp(HostPort node);

  // The canonical URI; Parse(ToString()) gives back an equal address.
  std::string ToString() const;

  friend bool operator==(const RedisAddress&, const RedisAddress&) = default;

 private:
  Kind kind_ = Kind::kTcp;
  std::vector<HostPort> servers_;  // one for kTcp, one or more for kSentinel, kCluster
  std::string unix_path_;
  std::string master_name_;
};

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REDIS_ADDRESS_H_
