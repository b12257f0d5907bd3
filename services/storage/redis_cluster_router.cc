#include "storage/redis_cluster_router.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/log.h"
#include "storage/cluster_slot.h"

namespace convene::storage {
namespace {

constexpr int kMaxRedirects = 16;
constexpr absl::Duration kRefreshEvery = absl::Seconds(30);
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(10);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(500);

std::string NodeName(const RedisAddress::HostPort& node) {
  return absl::StrCat(node.host, ":", node.port);
}

bool IsKeyless(absl::string_view name) {
  static const char* const kKeyless[] = {
      "PING",   "INFO",     "FUNCTION", "SCRIPT",  "CLUSTER", "ASKING", "MULTI",
      "EXEC",   "DISCARD",  "WAIT",     "PUBLISH", "CLIENT",  "CONFIG", "TIME",
      "DBSIZE", "SCAN",     "KEYS",     "FLUSHALL", "FLUSHDB", "AUTH",  "HELLO",
      "SELECT", "READONLY", "ROLE",     "DEBUG",   "LATENCY", "SLOWLOG", "COMMAND",
      "ECHO",   "SAVE",     "BGSAVE",   "BGREWRITEAOF", "LASTSAVE", "ACL",
      "SHUTDOWN", "REPLICAOF", "FAILOVER", "WAITAOF"};
  for (const char* k : kKeyless) {
    if (absl::EqualsIgnoreCase(name, k)) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string> RoutingKey(const std::vector<std::string>& argv) {
  if (argv.size() < 2) return std::nullopt;
  const std::string& name = argv[0];
  if (absl::EqualsIgnoreCase(name, "EVAL") || absl::EqualsIgnoreCase(name, "EVALSHA") ||
      absl::EqualsIgnoreCase(name, "EVAL_RO") || absl::EqualsIgnoreCase(name, "EVALSHA_RO") ||
      absl::EqualsIgnoreCase(name, "FCALL") || absl::EqualsIgnoreCase(name, "FCALL_RO")) {
    int numkeys = 0;
    if (argv.size() > 3 && absl::SimpleAtoi(argv[2], &numkeys) && numkeys > 0) return argv[3];
    return std::nullopt;
  }
  if (absl::EqualsIgnoreCase(name, "XREAD") || absl::EqualsIgnoreCase(name, "XREADGROUP")) {
    for (size_t i = 1; i + 1 < argv.size(); ++i) {
      if (absl::EqualsIgnoreCase(argv[i], "STREAMS")) return argv[i + 1];
    }
    return std::nullopt;
  }
  if (IsKeyless(name)) return std::nullopt;
  // Container commands name a subcommand first: XGROUP CREATE <key> ...,
  // XINFO STREAM <key>, OBJECT ENCODING <key>, MEMORY USAGE <key>.
  if (absl::EqualsIgnoreCase(name, "XGROUP") || absl::EqualsIgnoreCase(name, "XINFO") ||
      absl::EqualsIgnoreCase(name, "OBJECT") || absl::EqualsIgnoreCase(name, "MEMORY")) {
    if (argv.size() > 2) return argv[2];
    return std::nullopt;
  }
  return argv[1];
}

std::optional<ClusterRedirect> ParseRedirect(absl::string_view error) {
  ClusterRedirect r;
  if (absl::ConsumePrefix(&error, "MOVED ")) {
    r.ask = false;
  } else if (absl::ConsumePrefix(&error, "ASK ")) {
    r.ask = true;
  } else {
    return std::nullopt;
  }
  std::vector<absl::string_view> parts = absl::StrSplit(error, ' ');
  if (parts.size() < 2 || !absl::SimpleAtoi(parts[0], &r.slot) || r.slot < 0 ||
      r.slot >= kClusterSlots) {
    return std::nullopt;
  }
  const size_t colon = parts[1].rfind(':');
  if (colon == absl::string_view::npos ||
      !absl::SimpleAtoi(parts[1].substr(colon + 1), &r.node.port)) {
    return std::nullopt;
  }
  absl::string_view host = parts[1].substr(0, colon);
  absl::ConsumePrefix(&host, "[");
  absl::ConsumeSuffix(&host, "]");
  r.node.host = std::string(host);
  return r;
}

RedisClient::ClusterRouter::ClusterRouter(RedisClientOptions options)
    : options_(std::move(options)), owner_(kClusterSlots, -1) {}

RedisClient::ClusterRouter::~ClusterRouter() { Shutdown(); }

absl::Status RedisClient::ClusterRouter::Start() {
  absl::StatusOr<std::unique_ptr<internal::EventLoop>> loop =
      internal::EventLoop::Start("redis-cluster");
  if (!loop.ok()) return loop.status();
  loop_ = *std::move(loop);
  loop_->Post([this] {
    refresh_timer_ = std::make_unique<internal::Timer>(*loop_, [this] {
      Refresh();
      refresh_timer_->ArmAfter(kRefreshEvery);
    });
    refresh_timer_->ArmAfter(kRefreshEvery);
  });
  Refresh();
  return absl::OkStatus();
}

bool RedisClient::ClusterRouter::connected() const {
  absl::MutexLock lock(&mu_);
  for (const auto& [name, client] : clients_) {
    if (client->connected()) return true;
  }
  return false;
}

bool RedisClient::ClusterRouter::InLoopThread() const {
  if (loop_ != nullptr && loop_->InLoopThread()) return true;
  absl::MutexLock lock(&mu_);
  for (const auto& [name, client] : clients_) {
    if (client->InLoopThread()) return true;
  }
  return false;
}

RedisClient* RedisClient::ClusterRouter::Node(const RedisAddress::HostPort& node) {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return nullptr;
  std::unique_ptr<RedisClient>& client = clients_[NodeName(node)];
  if (client == nullptr) {
    RedisClientOptions options = options_;
    options.address = RedisAddress::Tcp(node);
    absl::StatusOr<std::unique_ptr<RedisClient>> started = RedisClient::Start(options);
    if (!started.ok()) {
      core::LogWarn(absl::StrCat("redis cluster: cannot start a client for ", NodeName(node),
                                 ": ", started.status().ToString()));
      clients_.erase(NodeName(node));
      return nullptr;
    }
    client = *std::move(started);
  }
  return client.get();
}

void RedisClient::ClusterRouter::Submit(std::vector<std::vector<std::string>> commands,
                                        absl::Time deadline, RawCallback done) {
  // A pipeline of independent commands (not a transaction) may span slots,
  // and so nodes: it is cut into runs of one slot each, sent on their own,
  // and the replies put back in order. A keyless command (TIME, WAIT after
  // a script, FUNCTION LOAD before one) travels with its neighbour.
  if (commands.size() > 1) {
    std::vector<int> slots(commands.size(), -1);
    bool transaction = false;
    int first_keyed = -1;
    for (size_t i = 0; i < commands.size(); ++i) {
      if (!commands[i].empty() && absl::EqualsIgnoreCase(commands[i][0], "MULTI")) {
        transaction = true;
      }
      if (std::optional<std::string> key = RoutingKey(commands[i])) {
        slots[i] = KeySlot(*key);
        if (first_keyed < 0) first_keyed = slots[i];
      }
    }
    int previous = first_keyed;
    for (int& slot : slots) {
      if (slot < 0) slot = previous;
      previous = slot;
    }
    const bool one_slot =
        std::all_of(slots.begin(), slots.end(), [&](int s) { return s == slots.front(); });
    if (!transaction && !one_slot) {
      SubmitSplit(std::move(commands), slots, deadline, std::move(done));
      return;
    }
  }
  auto call = std::make_unique<Call>();
  call->commands = std::move(commands);
  call->deadline = deadline;
  call->done = std::move(done);
  Send(std::move(call));
}

void RedisClient::ClusterRouter::SubmitSplit(std::vector<std::vector<std::string>> commands,
                                             const std::vector<int>& slots, absl::Time deadline,
                                             RawCallback done) {
  struct FanIn {
    absl::Mutex mu;
    std::vector<RedisReply> replies;
    size_t runs_left = 0;
    absl::Status failure;
    RawCallback done;
  };
  auto fan_in = std::make_shared<FanIn>();
  fan_in->replies.resize(commands.size());
  fan_in->done = std::move(done);
  std::vector<std::pair<size_t, size_t>> runs;  // [begin, end)
  for (size_t i = 0; i < commands.size(); ++i) {
    if (i == 0 || slots[i] != slots[i - 1]) runs.push_back({i, i});
    runs.back().second = i + 1;
  }
  fan_in->runs_left = runs.size();
  for (const auto& [begin, end] : runs) {
    auto call = std::make_unique<Call>();
    call->commands.assign(std::make_move_iterator(commands.begin() + begin),
                          std::make_move_iterator(commands.begin() + end));
    call->deadline = deadline;
    call->done = [fan_in, begin = begin](absl::StatusOr<std::vector<RedisReply>> r) {
      RawCallback finish;
      absl::StatusOr<std::vector<RedisReply>> result;
      {
        absl::MutexLock lock(&fan_in->mu);
        if (!r.ok()) {
          if (fan_in->failure.ok()) fan_in->failure = r.status();
        } else {
          for (size_t k = 0; k < r->size(); ++k) {
            fan_in->replies[begin + k] = std::move((*r)[k]);
          }
        }
        if (--fan_in->runs_left > 0) return;
        finish = std::move(fan_in->done);
        if (fan_in->failure.ok()) {
          result = std::move(fan_in->replies);
        } else {
          result = fan_in->failure;
        }
      }
      finish(std::move(result));
    };
    Send(std::move(call));
  }
}

void RedisClient::ClusterRouter::Send(std::unique_ptr<Call> call) {
  if (absl::Now() >= call->deadline) {
    call->done(absl::UnavailableError(
        "redis cluster: the call's deadline passed while it was being redirected"));
    return;
  }
  RedisAddress::HostPort target;
  if (call->ask) {
    target = *call->ask;
  } else {
    std::optional<std::string> key;
    for (const auto& argv : call->commands) {
      key = RoutingKey(argv);
      if (key) break;
    }
    absl::MutexLock lock(&mu_);
    int index = key ? owner_[KeySlot(*key)] : -1;
    if (index < 0 && !key && !nodes_.empty()) index = 0;
    target = index >= 0 ? nodes_[index] : options_.address.seeds().front();
  }
  RedisClient* client = Node(target);
  if (client == nullptr) {
    call->done(absl::CancelledError("redis cluster client is shut down"));
    return;
  }
  std::vector<std::vector<std::string>> commands;
  if (call->ask) commands.push_back({"ASKING"});
  // The call keeps its commands: a redirection sends them again.
  commands.insert(commands.end(), call->commands.begin(), call->commands.end());
  const absl::Time deadline = call->deadline;
  client->Submit(std::move(commands), deadline,
                 [this, call = std::move(call)](
                     absl::StatusOr<std::vector<RedisReply>> replies) mutable {
                   OnReplies(std::move(call), std::move(replies));
                 });
}

void RedisClient::ClusterRouter::OnReplies(std::unique_ptr<Call> call,
                                           absl::StatusOr<std::vector<RedisReply>> replies) {
  if (!replies.ok()) {
    // The node may have failed over or left: learn the map again.
    if (absl::IsUnavailable(replies.status())) Refresh();
    call->done(replies.status());
    return;
  }
  if (call->ask && !replies->empty()) replies->erase(replies->begin());  // ASKING's OK
  call->ask.reset();
  for (const RedisReply& reply : *replies) {
    if (!reply.is_error()) continue;
    const std::string& text = reply.text();
    if (std::optional<ClusterRedirect> redirect = ParseRedirect(text)) {
      if (++call->redirects > kMaxRedirects) break;
      if (redirect->ask) {
        call->ask = redirect->node;
      } else {
        {
          absl::MutexLock lock(&mu_);
          auto it = std::find(nodes_.begin(), nodes_.end(), redirect->node);
          if (it == nodes_.end()) it = nodes_.insert(nodes_.end(), redirect->node);
          owner_[redirect->slot] = static_cast<int>(it - nodes_.begin());
        }
        Refresh();
      }
      Send(std::move(call));
      return;
    }
    if (absl::StartsWith(text, "TRYAGAIN") || absl::StartsWith(text, "CLUSTERDOWN")) {
      RetryLater(std::move(call));
      return;
    }
  }
  call->done(std::move(replies));
}

void RedisClient::ClusterRouter::RetryLater(std::unique_ptr<Call> call) {
  absl::Duration backoff = kFirstBackoff * (1 << std::min(call->retries, 6));
  backoff = std::min(backoff, kMaxBackoff);
  ++call->retries;
  if (absl::Now() + backoff >= call->deadline) {
    call->done(absl::UnavailableError(
        "redis cluster: the slot stayed unavailable (TRYAGAIN or CLUSTERDOWN) until the "
        "call's deadline"));
    return;
  }
  auto* raw = call.release();
  const bool posted = loop_->Post([this, raw, backoff] {
    std::unique_ptr<Call> call(raw);
    const uint64_t id = next_wait_++;
    auto timer = std::make_unique<internal::Timer>(*loop_, [this, id] {
      auto it = waiting_.find(id);
      if (it == waiting_.end()) return;
      std::unique_ptr<Call> ready = std::move(it->second.second);
      // The timer is running this closure: free it after it returns.
      std::unique_ptr<internal::Timer> done_timer = std::move(it->second.first);
      waiting_.erase(it);
      loop_->Post([t = std::move(done_timer)]() mutable { t.reset(); });
      Send(std::move(ready));
    });
    timer->ArmAfter(backoff);
    waiting_.emplace(id, std::make_pair(std::move(timer), std::move(call)));
  });
  if (!posted) {
    std::unique_ptr<Call> call(raw);
    call->done(absl::CancelledError("redis cluster client is shut down"));
  }
}

void RedisClient::ClusterRouter::Refresh() {
  RedisAddress::HostPort asked;
  {
    absl::MutexLock lock(&mu_);
    if (refreshing_ || shut_down_) return;
    refreshing_ = true;
    // Known nodes first, then the seeds, one after the other.
    std::vector<RedisAddress::HostPort> candidates = nodes_;
    for (const auto& seed : options_.address.seeds()) candidates.push_back(seed);
    asked = candidates[refresh_turn_++ % candidates.size()];
  }
  RedisClient* client = Node(asked);
  if (client == nullptr) {
    absl::MutexLock lock(&mu_);
    refreshing_ = false;
    return;
  }
  client->Submit({{"CLUSTER", "SLOTS"}}, absl::Now() + options_.command_timeout,
                 [this, asked](absl::StatusOr<std::vector<RedisReply>> r) {
                   OnSlots(asked, std::move(r));
                 });
}

void RedisClient::ClusterRouter::OnSlots(const RedisAddress::HostPort& asked,
                                         absl::StatusOr<std::vector<RedisReply>> r) {
  absl::MutexLock lock(&mu_);
  refreshing_ = false;
  if (!r.ok() || r->empty() || r->front().is_error() || !r->front().is_array()) {
    core::LogWarn(absl::StrCat("redis cluster: CLUSTER SLOTS from ", NodeName(asked),
                               " failed: ",
                               !r.ok() ? r.status().ToString()
                                       : (r->empty() ? "no reply" : r->front().text())));
    return;
  }
  // [[start, end, [host, port, id], replica...], ...]
  std::vector<int> owner(kClusterSlots, -1);
  for (const RedisReply& range : r->front().elements()) {
    auto e = range.elements();
    if (e.size() < 3 || !e[2].is_array() || e[2].elements().size() < 2) continue;
    absl::StatusOr<int64_t> from = e[0].as_integer();
    absl::StatusOr<int64_t> to = e[1].as_integer();
    absl::StatusOr<int64_t> port = e[2].elements()[1].as_integer();
    if (!from.ok() || !to.ok() || !port.ok()) continue;
    RedisAddress::HostPort node{e[2].elements()[0].text(), static_cast<int>(*port)};
    // An empty or "?" endpoint is the node that answered.
    if (node.host.empty() || node.host == "?") node.host = asked.host;
    auto it = std::find(nodes_.begin(), nodes_.end(), node);
    if (it == nodes_.end()) it = nodes_.insert(nodes_.end(), node);
    const int index = static_cast<int>(it - nodes_.begin());
    for (int64_t s = std::max<int64_t>(*from, 0); s <= std::min<int64_t>(*to, kClusterSlots - 1);
         ++s) {
      owner[s] = index;
    }
  }
  owner_ = std::move(owner);
}

void RedisClient::ClusterRouter::Shutdown() {
  // Node clients fail their calls with CANCELLED; a failed call's callback
  // may still try to send on, and finds the router shut down (no new node
  // client is made after this).
  std::vector<RedisClient*> to_stop;
  {
    absl::MutexLock lock(&mu_);
    if (shut_down_) return;
    shut_down_ = true;
    for (auto& [name, client] : clients_) to_stop.push_back(client.get());
  }
  for (RedisClient* c : to_stop) c->Shutdown();
  if (loop_ != nullptr) {
    loop_->Post([this] {
      refresh_timer_.reset();
      absl::Status cancelled = absl::CancelledError("redis cluster client was shut down");
      for (auto& [id, entry] : waiting_) {
        entry.first.reset();
        entry.second->done(cancelled);
      }
      waiting_.clear();
    });
    loop_->Stop();
  }
}

}  // namespace convene::storage
