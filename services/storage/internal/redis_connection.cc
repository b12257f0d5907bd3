#include "storage/internal/redis_connection.h"

// The adapter defines static functions: include it in this file only.
#include <hiredis/adapters/libevent.h>

#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/log.h"

namespace convene::storage::internal {

RedisConnection::RedisConnection(EventLoop& loop, RedisClientOptions options,
                                 void* owner, Handlers handlers)
    : loop_(loop),
      options_(std::move(options)),
      address_text_(options_.address.ToString()),
      owner_(owner),
      handlers_(std::move(handlers)),
      last_failure_(Unavailable("not connected yet")),
      backoff_(options_.min_backoff, options_.max_backoff),
      connect_timer_(loop, [this] {
        Close(Unavailable(absl::StrCat(
            "connect timed out after ",
            absl::FormatDuration(options_.connect_timeout))));
      }),
      backoff_timer_(loop, [this] { Connect(); }),
      deferred_close_timer_(loop,
                            [this] { Close(deferred_close_reason_); }) {}

RedisConnection::~RedisConnection() {
  if (ac_ != nullptr) {
    std::fprintf(stderr,
                 "convene storage: RedisConnection destroyed while open\n");
    std::abort();
  }
}

void RedisConnection::Start() {
  if (state_ == State::kIdle) Connect();
}

absl::Status RedisConnection::Unavailable(absl::string_view reason) const {
  return absl::UnavailableError(
      absl::StrCat("redis ", address_text_, " is unavailable: ", reason));
}

absl::Status RedisConnection::FailureStatus(
    const redisAsyncContext* ac) const {
  if (closing_.has_value()) return *closing_;
  return Unavailable(absl::StrCat("connection lost: ", ac->c.errstr));
}

void* RedisConnection::Owner(const redisAsyncContext* ac) {
  return static_cast<RedisConnection*>(ac->data)->owner_;
}

absl::StatusOr<RedisAddress::HostPort> RedisConnection::AskSentinels() const {
  const RedisAddress& address = options_.address;
  // Blocking, on the loop thread: it runs only while this connection is down
  // (nothing to serve meanwhile), each Sentinel bounded by a short timeout.
  //
  // Every Sentinel is asked, and the answer of the newest configuration
  // (the highest config-epoch) wins: right after a failover a Sentinel that
  // has not heard of it yet still names the old primary, which may be back
  // as an empty server that calls itself master until it is demoted.
  const absl::Duration each =
      std::min(options_.connect_timeout, absl::Milliseconds(500));
  const timeval timeout = absl::ToTimeval(each);
  std::string why = "no Sentinel answered";
  std::optional<RedisAddress::HostPort> best;
  long long best_epoch = -1;
  for (const RedisAddress::HostPort& sentinel : address.sentinels()) {
    redisContext* c = redisConnectWithTimeout(sentinel.host.c_str(), sentinel.port, timeout);
    if (c == nullptr) continue;
    if (c->err == 0) redisSetTimeout(c, timeout);
    auto* reply = c->err == 0 ? static_cast<redisReply*>(redisCommand(
                                    c, "SENTINEL master %s", address.master_name().c_str()))
                              : nullptr;
    // A flat list of field, value, ...: "ip", "port" and "config-epoch".
    std::string ip, port;
    long long epoch = -1;
    if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        const redisReply* name = reply->element[i];
        const redisReply* value = reply->element[i + 1];
        if (name->type != REDIS_REPLY_STRING || value->type != REDIS_REPLY_STRING) continue;
        const absl::string_view field(name->str, name->len);
        const std::string text(value->str, value->len);
        if (field == "ip") ip = text;
        if (field == "port") port = text;
        if (field == "config-epoch") epoch = std::atoll(text.c_str());
      }
    }
    if (!ip.empty() && !port.empty()) {
      if (epoch > best_epoch || !best) {
        best = RedisAddress::HostPort{ip, std::atoi(port.c_str())};
        best_epoch = epoch;
      }
    } else {
      why = absl::StrCat("Sentinel ", sentinel.host, ":", sentinel.port,
                         c->err != 0 ? absl::StrCat(": ", c->errstr)
                                     : absl::StrCat(" does not know master ",
                                                    address.master_name()));
    }
    if (reply != nullptr) freeReplyObject(reply);
    redisFree(c);
  }
  if (best) return *best;
  return absl::UnavailableError(why);
}

std::string RedisConnection::CheckPrimary(const redisReply* role_reply) const {
  const std::string where =
      absl::StrCat(sentinel_primary_.host, ":", sentinel_primary_.port);
  std::string role = "unknown";
  if (role_reply->type == REDIS_REPLY_ARRAY && role_reply->elements > 0 &&
      role_reply->element[0]->type == REDIS_REPLY_STRING) {
    role.assign(role_reply->element[0]->str, role_reply->element[0]->len);
  }
  // A Sentinel's answer can be out of date by the time the connection is
  // up: the server it named may have been demoted meanwhile.
  if (role != "master") {
    return absl::StrCat("redis ", where, " is a ", role,
                        ", not the primary; asking the Sentinels again");
  }
  // Or the named primary died and was restarted, empty, where it was: it
  // calls itself master until the Sentinels demote it, while they already
  // name the promoted replica. Asking again after connecting closes the
  // window between their answer and this connection.
  absl::StatusOr<RedisAddress::HostPort> now = AskSentinels();
  if (!now.ok()) return std::string(now.status().message());
  if (!(*now == sentinel_primary_)) {
    return absl::StrCat("the Sentinels now name ", now->host, ":", now->port,
                        " as the primary, not ", where);
  }
  return "";
}

void RedisConnection::CloseSoon(const absl::Status& reason) {
  if (state_ != State::kReady) return;
  deferred_close_reason_ = reason;
  deferred_close_timer_.ArmAfter(absl::ZeroDuration());
}

void RedisConnection::Connect() {
  if (shut_down_) return;
  state_ = State::kConnecting;
  const RedisAddress& address = options_.address;
  RedisAddress::HostPort tcp{address.host(), address.port()};
  if (address.kind() == RedisAddress::Kind::kSentinel) {
    // The primary may have changed since the last connection: ask again.
    absl::StatusOr<RedisAddress::HostPort> master = AskSentinels();
    if (!master.ok()) {
      Down(Unavailable(master.status().message()));
      return;
    }
    tcp = *master;
    sentinel_primary_ = tcp;
  }
  if (address.kind() == RedisAddress::Kind::kCluster) {
    // A connection of its own (a subscriber's): any node will do, since
    // SUBSCRIBE and PUBLISH span the cluster; the next seed on each attempt.
    tcp = address.seeds()[seed_turn_++ % address.seeds().size()];
  }
  // hiredis resolves TCP host names with a blocking getaddrinfo() here; use
  // IPs or Unix sockets where a slow resolver matters.
  redisAsyncContext* ac =
      address.kind() == RedisAddress::Kind::kUnix
          ? redisAsyncConnectUnix(address.unix_path().c_str())
          : redisAsyncConnect(tcp.host.c_str(), tcp.port);
  if (ac == nullptr) {
    Down(Unavailable("out of memory creating a connection"));
    return;
  }
  if (ac->c.err != 0) {
    std::string why = ac->c.errstr;
    redisAsyncFree(ac);
    Down(Unavailable(why));
    return;
  }
  if (address.kind() != RedisAddress::Kind::kUnix) {
    // Notices a vanished peer on an idle connection (minutes, not seconds).
    redisEnableKeepAlive(&ac->c);
  }
  ac->data = this;
  if (redisLibeventAttach(ac, loop_.base()) != REDIS_OK) {
    redisAsyncFree(ac);
    Down(Unavailable("cannot attach the connection to the event loop"));
    return;
  }
  redisAsyncSetConnectCallback(ac, &RedisConnection::OnConnect);
  redisAsyncSetDisconnectCallback(ac, &RedisConnection::OnDisconnect);
  ac_ = ac;
  connect_timer_.ArmAfter(options_.connect_timeout);
}

void RedisConnection::OnConnect(const redisAsyncContext* cac, int status) {
  auto* self = static_cast<RedisConnection*>(cac->data);
  auto* ac = const_cast<redisAsyncContext*>(cac);
  if (ac != self->ac_) return;
  if (status != REDIS_OK) {
    // hiredis frees the context when this returns.
    std::string why = ac->c.errstr;
    self->ac_ = nullptr;
    self->Down(self->Unavailable(why));
    return;
  }
  // Handshake: AUTH if configured, then PING. The connection is ready only
  // once PING answers, so a server that accepts connections but does not
  // serve them (stopped, stuck) fails the attempt within connect_timeout.
  self->handshake_error_.clear();
  bool sent = true;
  if (!self->options_.password.empty()) {
    std::vector<const char*> argv = {"AUTH"};
    std::vector<size_t> lengths = {4};
    if (!self->options_.username.empty()) {
      argv.push_back(self->options_.username.data());
      lengths.push_back(self->options_.username.size());
    }
    argv.push_back(self->options_.password.data());
    lengths.push_back(self->options_.password.size());
    sent = redisAsyncCommandArgv(ac, &RedisConnection::OnAuthReply, nullptr,
                                 static_cast<int>(argv.size()), argv.data(),
                                 lengths.data()) == REDIS_OK;
  }
  // Through Sentinels, ROLE instead of PING: it answers as PING does, and
  // says whether the server is the primary (CheckPrimary).
  const bool via_sentinels =
      self->options_.address.kind() == RedisAddress::Kind::kSentinel;
  const char* ping = via_sentinels ? "ROLE" : "PING";
  size_t ping_length = 4;
  sent = sent && redisAsyncCommandArgv(ac, &RedisConnection::OnPingReply,
                                       nullptr, 1, &ping,
                                       &ping_length) == REDIS_OK;
  if (!sent) {
    self->deferred_close_reason_ =
        self->Unavailable("cannot send the connection handshake");
    self->deferred_close_timer_.ArmAfter(absl::ZeroDuration());
  }
}

void RedisConnection::OnAuthReply(redisAsyncContext* ac, void* reply,
                                  void* /*privdata*/) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  // NULL: the context is going away and OnDisconnect/Close handle it.
  if (ac != self->ac_ || reply == nullptr) return;
  const auto* r = static_cast<const redisReply*>(reply);
  if (r->type == REDIS_REPLY_ERROR) {
    // Redis' message never contains the password.
    self->handshake_error_ =
        absl::StrCat("AUTH failed: ", std::string(r->str, r->len));
  }
}

void RedisConnection::OnPingReply(redisAsyncContext* ac, void* reply,
                                  void* /*privdata*/) {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (ac != self->ac_ || reply == nullptr) return;
  const auto* r = static_cast<const redisReply*>(reply);
  if (self->handshake_error_.empty() && r->type == REDIS_REPLY_ERROR) {
    self->handshake_error_ =
        absl::StrCat("PING failed: ", std::string(r->str, r->len));
  }
  if (self->handshake_error_.empty() &&
      self->options_.address.kind() == RedisAddress::Kind::kSentinel) {
    self->handshake_error_ = self->CheckPrimary(r);
  }
  if (!self->handshake_error_.empty()) {
    // Freeing the context inside its own callback is not safe: defer.
    self->deferred_close_reason_ = self->Unavailable(self->handshake_error_);
    self->deferred_close_timer_.ArmAfter(absl::ZeroDuration());
    return;
  }
  self->BecomeReady();
}

void RedisConnection::OnDisconnect(const redisAsyncContext* cac, int status) {
  auto* self = static_cast<RedisConnection*>(cac->data);
  if (cac != self->ac_) return;
  self->ac_ = nullptr;  // hiredis frees it when this returns
  self->Down(self->closing_.has_value()
                 ? *self->closing_
                 : self->Unavailable(
                       absl::StrCat("connection lost: ", cac->c.errstr)));
}

void RedisConnection::BecomeReady() {
  state_ = State::kReady;
  connect_timer_.Cancel();
  backoff_.Reset();
  if (failures_in_a_row_ > 0) {
    core::LogInfo(absl::StrCat("connected to redis ", address_text_, " after ",
                         failures_in_a_row_, " failed attempt(s)"));
  } else if (!ever_ready_) {
    core::LogInfo(absl::StrCat("connected to redis ", address_text_));
  }
  failures_in_a_row_ = 0;
  ever_ready_ = true;
  connected_.store(true, std::memory_order_relaxed);
  handlers_.on_ready();
  if (options_.on_connection_change) options_.on_connection_change(true);
}

void RedisConnection::Down(const absl::Status& status) {
  bool was_ready = state_ == State::kReady;
  ac_ = nullptr;
  connect_timer_.Cancel();
  deferred_close_timer_.Cancel();
  if (status.code() == absl::StatusCode::kUnavailable) last_failure_ = status;
  state_ = shut_down_ ? State::kShutDown : State::kWaiting;
  if (was_ready) {
    connected_.store(false, std::memory_order_relaxed);
    if (!shut_down_) {
      core::LogWarn(absl::StrCat(status.message(), "; reconnecting"));
    }
  } else if (failures_in_a_row_++ == 0 && !shut_down_) {
    // Log the first failure of a streak only: retries are routine.
    core::LogWarn(absl::StrCat(status.message(), "; retrying with backoff"));
  }
  handlers_.on_down(status);
  if (was_ready && options_.on_connection_change) {
    options_.on_connection_change(false);
  }
  if (!shut_down_) backoff_timer_.ArmAfter(backoff_.Next());
}

void RedisConnection::Close(const absl::Status& reason) {
  if (ac_ == nullptr) return;
  redisAsyncContext* ac = ac_;
  closing_ = reason;
  // Runs every pending reply callback with NULL (they report *closing_),
  // then OnDisconnect if the socket had connected.
  redisAsyncFree(ac);
  if (ac_ == ac) {
    // It never connected, so hiredis called no disconnect callback.
    ac_ = nullptr;
    Down(reason);
  }
  closing_.reset();
}

void RedisConnection::Shutdown(const absl::Status& reason) {
  shut_down_ = true;
  backoff_timer_.Cancel();
  connect_timer_.Cancel();
  deferred_close_timer_.Cancel();
  if (ac_ != nullptr) {
    Close(reason);
  } else {
    state_ = State::kShutDown;
  }
}

}  // namespace convene::storage::internal
