// Finding the primary through Sentinels: right after a failover one Sentinel
// may still name the old primary, which can be back as an empty server that
// calls itself master. The client asks every Sentinel and follows the newest
// configuration (the highest config-epoch), not the first answer.
//
// Two real redis-servers on loopback TCP stand for the promoted replica
// (with the data) and the restarted, empty old primary; two stand-in
// Sentinels answer SENTINEL MASTER with one of them each.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "storage/redis_address.h"
#include "storage/redis_client.h"
#include "storage/redis_sync_client.h"
#include "testing_util/redis_server.h"

namespace convene::storage {
namespace {

// A loopback TCP port nobody listens on now.
int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

std::string Bulk(const std::string& s) { return absl::StrCat("$", s.size(), "\r\n", s, "\r\n"); }

// Answers SENTINEL MASTER and SENTINEL GET-MASTER-ADDR-BY-NAME as a Sentinel
// whose configuration, as of `config_epoch`, has the primary at
// 127.0.0.1:`port`.
class StandInSentinel {
 public:
  StandInSentinel(int primary_port, int config_epoch) {
    master_reply_ = absl::StrCat("*6\r\n", Bulk("ip"), Bulk("127.0.0.1"), Bulk("port"),
                                 Bulk(absl::StrCat(primary_port)), Bulk("config-epoch"),
                                 Bulk(absl::StrCat(config_epoch)));
    address_reply_ =
        absl::StrCat("*2\r\n", Bulk("127.0.0.1"), Bulk(absl::StrCat(primary_port)));
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    listen(listener_, 16);
    socklen_t len = sizeof(a);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StandInSentinel() {
    stop_ = true;
    thread_.join();
    close(listener_);
  }
  int port() const { return port_; }
  int asked() const { return asked_; }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      char buffer[1024];
      // One command per connection (the client asks, then hangs up).
      if (ssize_t n = recv(fd, buffer, sizeof(buffer), 0); n > 0) {
        ++asked_;
        const std::string command = absl::AsciiStrToLower(absl::string_view(buffer, n));
        const std::string& reply = absl::StrContains(command, "get-master-addr-by-name")
                                       ? address_reply_
                                       : master_reply_;
        send(fd, reply.data(), reply.size(), MSG_NOSIGNAL);
        while (recv(fd, buffer, sizeof(buffer), 0) > 0) {
        }
      }
      close(fd);
    }
  }

  std::string master_reply_;
  std::string address_reply_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> asked_{0};
  std::thread thread_;
};

std::unique_ptr<testing_util::RedisServer> TcpRedis(int port) {
  testing_util::RedisServer::Options options;
  // Sentinel and Cluster exclude each other: these are plain primaries.
  options.cluster = false;
  options.extra_args = {"--port", absl::StrCat(port), "--bind", "127.0.0.1"};
  auto server = testing_util::RedisServer::Start(options);
  EXPECT_TRUE(server.ok()) << server.status();
  return server.ok() ? *std::move(server) : nullptr;
}

void Mark(const testing_util::RedisServer& server, const std::string& which) {
  RedisClientOptions options;
  options.address = *RedisAddress::Parse(server.address());
  auto client = RedisSyncClient::Start(options);
  ASSERT_TRUE(client.ok());
  ASSERT_TRUE((*client)->Command({"SET", "which", which}).ok());
}

TEST(SentinelResolution, FollowsTheNewestConfigurationNotTheFirstSentinelToAnswer) {
  const int promoted_port = FreePort();
  auto promoted = TcpRedis(promoted_port);
  const int old_port = FreePort();
  auto restarted_old_primary = TcpRedis(old_port);
  ASSERT_NE(promoted, nullptr);
  ASSERT_NE(restarted_old_primary, nullptr);
  Mark(*promoted, "promoted replica");
  Mark(*restarted_old_primary, "empty old primary");

  // Listed first: the Sentinel that has not heard of the failover.
  StandInSentinel behind(old_port, /*config_epoch=*/1);
  StandInSentinel current(promoted_port, /*config_epoch=*/2);
  RedisClientOptions options;
  options.address = *RedisAddress::Parse(absl::StrCat(
      "redis-sentinel://127.0.0.1:", behind.port(), ",127.0.0.1:", current.port(), "/convene"));
  auto client = RedisSyncClient::Start(options);
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<RedisReply> which = (*client)->Command({"GET", "which"});
  ASSERT_TRUE(which.ok()) << which.status();
  EXPECT_EQ(which->text(), "promoted replica");
  EXPECT_GE(behind.asked(), 1);
  EXPECT_GE(current.asked(), 1);
}

}  // namespace
}  // namespace convene::storage
