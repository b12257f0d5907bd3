#include "storage/redis_client.h"

#include "storage/redis_cluster_router.h"

#include <hiredis/async.h>

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/internal/event_loop.h"
#include "storage/internal/hiredis_reply.h"
#include "storage/internal/redis_connection.h"
#include "storage/redis_error.h"

namespace convene::storage {
namespace {

using internal::RedisConnection;

absl::StatusOr<RedisReply> MapReply(RedisReply reply,
                                    absl::string_view context) {
  if (reply.is_error()) return RedisErrorToStatus(reply.text(), context);
  return reply;
}

void* IdToPrivdata(uint64_t id) {
  return reinterpret_cast<void*>(static_cast<uintptr_t>(id));
}

uint64_t PrivdataToId(void* privdata) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(privdata));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisClient>> RedisClient::Start(
    RedisClientOptions options) {
  if (absl::Status s = ValidateRedisClientOptions(options); !s.ok()) return s;
  std::unique_ptr<RedisClient> client(new RedisClient(std::move(options)));
  if (client->options_.address.kind() == RedisAddress::Kind::kCluster) {
    client->cluster_ = std::make_unique<ClusterRouter>(client->options_);
    if (absl::Status s = client->cluster_->Start(); !s.ok()) return s;
    return client;
  }
  absl::StatusOr<std::unique_ptr<internal::EventLoop>> loop =
      internal::EventLoop::Start("redis-client");
  if (!loop.ok()) return loop.status();
  RedisClient* self = client.get();
  self->loop_ = *std::move(loop);
  self->connection_ = std::make_unique<RedisConnection>(
      *self->loop_, self->options_, self,
      RedisConnection::Handlers{
          .on_ready = [self] { self->OnReady(); },
          .on_down = [self](const absl::Status& s) { self->OnDown(s); }});
  self->timer_ =
      std::make_unique<internal::Timer>(*self->loop_, [self] { self->OnTimer(); });
  self->loop_->Post([self] { self->connection_->Start(); });
  return client;
}

RedisClient::RedisClient(RedisClientOptions options)
    : options_(std::move(options)),
      address_text_(options_.address.ToString()) {}

RedisClient::~RedisClient() { Shutdown(); }

bool RedisClient::connected() const {
  if (cluster_ != nullptr) return cluster_->connected();
  return connection_ != nullptr && connection_->connected();
}

bool RedisClient::InLoopThread() const {
  if (cluster_ != nullptr) return cluster_->InLoopThread();
  return loop_ != nullptr && loop_->InLoopThread();
}

void RedisClient::Command(std::vector<std::string> argv, ReplyCallback done) {
  Command(std::move(argv), absl::Now() + options_.command_timeout,
          std::move(done));
}

void RedisClient::Command(std::vector<std::string> argv, absl::Time deadline,
                          ReplyCallback done) {
  std::string context = argv.empty() ? std::string() : argv.front();
  std::vector<std::vector<std::string>> commands;
  commands.push_back(std::move(argv));
  Submit(std::move(commands), deadline,
         [done = std::move(done), context = std::move(context)](
             absl::StatusOr<std::vector<RedisReply>> replies) mutable {
           if (!replies.ok()) {
             done(replies.status());
             return;
           }
           done(MapReply(std::move(replies->front()), context));
         });
}

void RedisClient::Eval(const LuaScript& script, std::vector<std::string> keys,
                       std::vector<std::string> args, ReplyCallback done) {
  EvalWithDeadline(script, std::move(keys), std::move(args),
                   absl::Now() + options_.command_timeout, std::move(done));
}

void RedisClient::Eval(const LuaScript& script, std::vector<std::string> keys,
                       std::vector<std::string> args, absl::Time deadline,
                       ReplyCallback done) {
  EvalWithDeadline(script, std::move(keys), std::move(args), deadline,
                   std::move(done));
}

namespace {

// With wait_replicas set, a script is followed on the same connection by
// WAIT, so that its reply means "applied and on that many replicas": what
// survives a failover to one of them. `replies` ends with WAIT's answer.
absl::Status CheckReplicated(const RedisClientOptions& options,
                             const std::vector<RedisReply>& replies) {
  if (options.wait_replicas <= 0) return absl::OkStatus();
  absl::StatusOr<int64_t> acked = replies.back().as_integer();
  if (acked.ok() && *acked >= options.wait_replicas) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(
      "redis: the write reached ", acked.ok() ? *acked : 0, " of ",
      options.wait_replicas, " replicas in time; it may or may not survive a failover"));
}

}  // namespace

void RedisClient::EvalWithDeadline(const LuaScript& script,
                                   std::vector<std::string> keys,
                                   std::vector<std::string> args,
                                   absl::Time deadline, ReplyCallback done) {
  std::vector<std::string> evalsha;
  evalsha.reserve(3 + keys.size() + args.size());
  evalsha.push_back(script.is_function() ? "FCALL" : "EVALSHA");
  evalsha.push_back(script.is_function() ? script.function_name() : script.sha1());
  evalsha.push_back(absl::StrCat(keys.size()));
  for (std::string& key : keys) evalsha.push_back(std::move(key));
  for (std::string& arg : args) evalsha.push_back(std::move(arg));
  std::vector<std::string> wait;
  if (options_.wait_replicas > 0) {
    wait = {"WAIT", absl::StrCat(options_.wait_replicas),
            absl::StrCat(absl::ToInt64Milliseconds(options_.wait_timeout))};
  }
  std::vector<std::vector<std::string>> first = {evalsha};
  if (!wait.empty()) first.push_back(wait);
  Submit(
      std::move(first), deadline,
      [this, script, evalsha = std::move(evalsha), wait = std::move(wait), deadline,
       done = std::move(done)](
          absl::StatusOr<std::vector<RedisReply>> replies) mutable {
        std::string context = absl::StrCat("script ", script.name());
        if (!replies.ok()) {
          done(replies.status());
          return;
        }
        RedisReply& reply = replies->front();
        const bool unknown =
            reply.is_error() &&
            (script.is_function()
                 ? absl::StartsWith(reply.text(), "ERR Function not found")
                 : absl::StartsWith(reply.text(), "NOSCRIPT"));
        if (!unknown) {
          if (absl::Status s = CheckReplicated(options_, *replies);
              !s.ok() && !reply.is_error()) {
            return done(s);
          }
          done(MapReply(std::move(reply), context));
          return;
        }
        // Redis lost the script (restart, failover, SCRIPT FLUSH) or never
        // had this build's function library: load it and run it again in
        // one round trip.
        std::vector<std::vector<std::string>> retry = {
            script.is_function()
                ? std::vector<std::string>{"FUNCTION", "LOAD", script.source()}
                : std::vector<std::string>{"SCRIPT", "LOAD", script.source()},
            std::move(evalsha)};
        if (!wait.empty()) retry.push_back(std::move(wait));
        Submit(std::move(retry), deadline,
               [this, script, context, done = std::move(done)](
                   absl::StatusOr<std::vector<RedisReply>> replies) mutable {
                 if (!replies.ok()) {
                   done(replies.status());
                   return;
                 }
                 const RedisReply& load = (*replies)[0];
                 // Another replica loaded the same library first: fine.
                 const bool loaded_by_another =
                     script.is_function() && load.is_error() &&
                     absl::StrContains(load.text(), "already exists");
                 if (load.is_error() && !loaded_by_another) {
                   done(RedisErrorToStatus(
                       load.text(), absl::StrCat("SCRIPT LOAD ", script.name())));
                   return;
                 }
                 if (!script.is_function() && load.text() != script.sha1()) {
                   done(absl::InternalError(absl::StrCat(
                       "redis ", context, ": SCRIPT LOAD returned sha1 ",
                       load.text(), ", expected ", script.sha1())));
                   return;
                 }
                 if (absl::Status s = CheckReplicated(options_, *replies);
                     !s.ok() && !(*replies)[1].is_error()) {
                   return done(s);
                 }
                 done(MapReply(std::move((*replies)[1]), context));
               });
      });
}

void RedisClient::Pipeline(std::vector<std::vector<std::string>> commands,
                           PipelineCallback done) {
  Pipeline(std::move(commands), absl::Now() + options_.command_timeout,
           std::move(done));
}

void RedisClient::Pipeline(std::vector<std::vector<std::string>> commands,
                           absl::Time deadline, PipelineCallback done) {
  std::vector<std::string> names;
  names.reserve(commands.size());
  for (const auto& argv : commands) {
    names.push_back(argv.empty() ? std::string() : argv.front());
  }
  Submit(std::move(commands), deadline,
         [names = std::move(names), done = std::move(done)](
             absl::StatusOr<std::vector<RedisReply>> replies) mutable {
           if (!replies.ok()) {
             done(replies.status());
             return;
           }
           std::vector<absl::StatusOr<RedisReply>> results;
           results.reserve(replies->size());
           for (size_t i = 0; i < replies->size(); ++i) {
             results.push_back(MapReply(std::move((*replies)[i]), names[i]));
           }
           done(std::move(results));
         });
}

void RedisClient::Submit(std::vector<std::vector<std::string>> commands,
                         absl::Time deadline, RawCallback done) {
  if (cluster_ != nullptr) {
    cluster_->Submit(std::move(commands), deadline, std::move(done));
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (!shut_down_) {
      // Posting under mu_ orders every accepted call before the shutdown
      // closure that Shutdown() posts.
      Batch batch;
      batch.commands = std::move(commands);
      batch.deadline = deadline;
      batch.done = std::move(done);
      loop_->Post([this, batch = std::move(batch)]() mutable {
        Accept(std::move(batch));
      });
      return;
    }
  }
  done(absl::CancelledError(
      absl::StrCat("redis client for ", address_text_, " is shut down")));
}

void RedisClient::Accept(Batch batch) {
  for (const auto& argv : batch.commands) {
    if (argv.empty()) {
      batch.done(absl::InvalidArgumentError("empty redis command"));
      return;
    }
  }
  if (batch.commands.empty()) {
    batch.done(std::vector<RedisReply>());
    return;
  }
  if (batch.deadline <= absl::Now()) {
    batch.done(absl::UnavailableError(absl::StrCat(
        "redis ", address_text_, ": the call's deadline passed before it was sent")));
    return;
  }
  RedisConnection::State state = connection_->state();
  if (state != RedisConnection::State::kReady &&
      state != RedisConnection::State::kConnecting) {
    batch.done(connection_->last_failure());
    return;
  }
  uint64_t id = next_id_++;
  batch.expected = batch.commands.size();
  absl::Time deadline = batch.deadline;
  batches_.emplace(id, std::move(batch));
  deadlines_.insert({deadline, id});
  if (deadline < timer_at_) {
    timer_->ArmAt(deadline);
    timer_at_ = deadline;
  }
  if (state == RedisConnection::State::kReady) {
    Send(id);
  } else {
    held_.push_back(id);
  }
}

void RedisClient::Send(uint64_t id) {
  auto it = batches_.find(id);
  if (it == batches_.end()) return;  // its deadline passed while held
  Batch& batch = it->second;
  redisAsyncContext* ac = connection_->context();
  absl::Time now = absl::Now();
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::vector<std::string>& command : batch.commands) {
    argv.clear();
    lengths.clear();
    for (const std::string& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    if (redisAsyncCommandArgv(ac, &RedisClient::OnReply, IdToPrivdata(id),
                              static_cast<int>(argv.size()), argv.data(),
                              lengths.data()) != REDIS_OK) {
      // Commands already queued for this batch will find it gone.
      Complete(id, connection_->Unavailable("could not queue the command"));
      return;
    }
    in_flight_.push_back({id, now, batch.deadline});
  }
  // The bytes now sit in hiredis' output buffer.
  batch.commands.clear();
  batch.commands.shrink_to_fit();
}

void RedisClient::OnReply(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* self = static_cast<RedisClient*>(RedisConnection::Owner(ac));
  uint64_t id = PrivdataToId(privdata);
  // Replies come in the order the commands were written.
  if (!self->in_flight_.empty()) self->in_flight_.pop_front();
  if (reply == nullptr) {
    self->Complete(id, self->connection_->FailureStatus(ac));
    return;
  }
  self->last_reply_at_ = absl::Now();
  const auto* raw = static_cast<const redisReply*>(reply);
  if (raw->type == REDIS_REPLY_ERROR && raw->len >= 8 &&
      std::string_view(raw->str, 8) == "READONLY") {
    // Connected to a replica: the primary moved (a failover). Reconnect,
    // which asks the Sentinels where the primary is now; the call itself
    // fails as retryable.
    self->connection_->CloseSoon(
        self->connection_->Unavailable("the server became a read-only replica"));
  }
  auto it = self->batches_.find(id);
  // Gone: the call already completed (deadline); drop the late reply.
  if (it == self->batches_.end()) return;
  Batch& batch = it->second;
  batch.replies.push_back(
      internal::FromHiredis(*static_cast<const redisReply*>(reply)));
  if (batch.replies.size() == batch.expected) {
    std::vector<RedisReply> replies = std::move(batch.replies);
    self->Complete(id, std::move(replies));
  }
}

void RedisClient::Complete(uint64_t id,
                           absl::StatusOr<std::vector<RedisReply>> result) {
  auto node = batches_.extract(id);
  if (node.empty()) return;  // completed already: exactly-once
  Batch& batch = node.mapped();
  deadlines_.erase({batch.deadline, id});
  batch.done(std::move(result));
}

void RedisClient::OnReady() {
  last_reply_at_ = absl::Now();
  std::deque<uint64_t> held;
  held.swap(held_);
  for (uint64_t id : held) Send(id);
  RearmTimer();
}

void RedisClient::OnDown(const absl::Status& status) {
  // Written commands were failed through their NULL replies already.
  in_flight_.clear();
  std::deque<uint64_t> held;
  held.swap(held_);
  for (uint64_t id : held) Complete(id, status);
}

void RedisClient::OnTimer() {
  timer_at_ = absl::InfiniteFuture();
  absl::Time now = absl::Now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    uint64_t id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    Complete(id, absl::UnavailableError(absl::StrCat(
                     "redis ", address_text_,
                     ": no reply before the call's deadline")));
  }
  if (connection_->state() == RedisConnection::State::kReady &&
      !in_flight_.empty()) {
    const InFlight& oldest = in_flight_.front();
    absl::Time hung_at =
        std::max(oldest.deadline, std::max(oldest.sent, last_reply_at_) +
                                      options_.command_timeout);
    if (now >= hung_at) {
      // Every call in flight fails UNAVAILABLE; the connection is re-made.
      absl::Duration silent = absl::Trunc(
          now - std::max(oldest.sent, last_reply_at_), absl::Milliseconds(1));
      connection_->Close(connection_->Unavailable(
          absl::StrCat("no reply for ", absl::FormatDuration(silent),
                       " with commands in flight; connection closed")));
    }
  }
  RearmTimer();
}

void RedisClient::RearmTimer() {
  absl::Time next = absl::InfiniteFuture();
  if (!deadlines_.empty()) next = deadlines_.begin()->first;
  if (connection_->state() == RedisConnection::State::kReady &&
      !in_flight_.empty()) {
    const InFlight& oldest = in_flight_.front();
    next = std::min(next, std::max(oldest.deadline,
                                   std::max(oldest.sent, last_reply_at_) +
                                       options_.command_timeout));
  }
  if (next == timer_at_) return;
  timer_at_ = next;
  if (next == absl::InfiniteFuture()) {
    timer_->Cancel();
  } else {
    timer_->ArmAt(next);
  }
}

void RedisClient::Shutdown() {
  if (cluster_ != nullptr) {
    cluster_->Shutdown();
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    if (!shut_down_) {
      shut_down_ = true;
      if (loop_ != nullptr && connection_ != nullptr) {
        loop_->Post([this] { ShutdownOnLoop(); });
      }
    }
  }
  if (loop_ != nullptr) loop_->Stop();
}

void RedisClient::ShutdownOnLoop() {
  absl::Status cancelled = absl::CancelledError(
      absl::StrCat("redis client for ", address_text_, " was shut down"));
  connection_->Shutdown(cancelled);
  std::vector<uint64_t> left;
  left.reserve(batches_.size());
  for (const auto& [id, batch] : batches_) left.push_back(id);
  std::sort(left.begin(), left.end());  // oldest first
  for (uint64_t id : left) Complete(id, cancelled);
  held_.clear();
  in_flight_.clear();
  timer_->Cancel();
  timer_at_ = absl::InfiniteFuture();
}

}  // namespace convene::storage
