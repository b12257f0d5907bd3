#include "notification/reminder_store.h"

#include <memory>
#include <mutex>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/keys.h"
#include "notification/scripts/notification_ack_lua.h"
#include "notification/scripts/reminder_claim_lua.h"
#include "notification/scripts/reminder_complete_lua.h"
#include "notification/scripts/reminder_forget_lua.h"
#include "notification/scripts/reminder_list_lua.h"
#include "notification/scripts/reminder_plan_lua.h"
#include "notification/scripts/webhook_delete_lua.h"
#include "notification/scripts/webhook_put_lua.h"

namespace convene::storage {
namespace {

std::string Ms(absl::Time t) { return absl::StrCat(absl::ToUnixMillis(t)); }

// The strings of an array reply (nils and non-strings are skipped).
std::vector<std::string> Strings(const RedisReply& reply) {
  std::vector<std::string> out;
  for (const RedisReply& e : reply.elements()) {
    absl::StatusOr<absl::string_view> s = e.as_string();
    if (s.ok()) out.emplace_back(*s);
  }
  return out;
}

// "state|attempts|reason" -> the fields of `n`.
void ParseState(absl::string_view text, StoredNotification& n) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, absl::MaxSplits('|', 2));
  n.state = parts.empty() ? "pending" : std::string(parts[0]);
  if (parts.size() > 1 && !absl::SimpleAtoi(parts[1], &n.attempts)) n.attempts = 0;
  if (parts.size() > 2) n.failure_reason = std::string(parts[2]);
}

// Runs `call(shard, callback)` on every shard at once and hands `done` the
// results in shard order once all have answered; any error fails the whole.
// Callbacks may come from different node connections' threads (cluster).
template <typename T, typename Call>
void OnEveryShard(int shards, Call call,
                  absl::AnyInvocable<void(absl::StatusOr<std::vector<T>>)> done) {
  struct Gather {
    std::mutex mu;
    std::vector<T> results;
    absl::Status status;
    int left;
    absl::AnyInvocable<void(absl::StatusOr<std::vector<T>>)> done;
  };
  auto gather = std::make_shared<Gather>();
  gather->results.resize(shards);
  gather->left = shards;
  gather->done = std::move(done);
  for (int shard = 0; shard < shards; ++shard) {
    call(shard, [gather, shard](absl::StatusOr<T> result) {
      std::unique_lock<std::mutex> lock(gather->mu);
      if (result.ok()) {
        gather->results[shard] = *std::move(result);
      } else if (gather->status.ok()) {
        gather->status = result.status();
      }
      if (--gather->left > 0) return;
      lock.unlock();
      if (!gather->status.ok()) return gather->done(gather->status);
      gather->done(std::move(gather->results));
    });
  }
}

}  // namespace

void ReminderStore::VerifyShardCount(Callback<bool> done) {
  // SET NX GET: records ours when none is, and answers what was there.
  redis_.Command({"SET", keys::ReminderShardCount(), absl::StrCat(shards_), "NX", "GET"},
                 [shards = shards_, done = std::move(done)](absl::StatusOr<RedisReply> r) mutable {
                   if (!r.ok()) return done(r.status());
                   if (r->is_nil()) return done(true);  // ours is recorded now
                   int recorded = 0;
                   if (!absl::SimpleAtoi(r->text(), &recorded) || recorded != shards) {
                     return done(absl::FailedPreconditionError(absl::StrCat(
                         "reminder_shards: this deployment's reminders are in ", r->text(),
                         " shards (", keys::ReminderShardCount(), "), not ", shards,
                         "; start every notification replica with --reminder_shards=",
                         r->text())));
                   }
                   done(true);
                 });
}

std::string ReminderStore::ReminderKey(absl::string_view event_id,
                                       absl::string_view participant_id,
                                       absl::string_view reminder_id) {
  return absl::StrCat(event_id, "/", participant_id, "/", reminder_id);
}

void ReminderStore::ReplacePlan(std::string event_id,
                                std::string participant_id,
                                std::vector<PendingReminder> plan, absl::Time now,
                                Callback<int> done) {
  std::vector<std::string> args = {event_id, participant_id,
                                   now == absl::InfinitePast() ? "-inf" : Ms(now)};
  args.reserve(3 + plan.size() * 3);
  for (PendingReminder& r : plan) {
    args.push_back(std::move(r.key));
    args.push_back(absl::StrCat(r.due_ms));
    args.push_back(std::move(r.record));
  }
  const keys::ReminderShard shard(ShardOf(event_id));
  redis_.Eval(scripts::ReminderPlan(),
              {shard.DueReminders(), shard.Reminders(), shard.Pair(event_id, participant_id),
               shard.EventParticipants(event_id), shard.ParticipantEvents(participant_id),
               shard.Leases(), shard.Sent(event_id, participant_id)},
              std::move(args),
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                auto e = reply->elements();
                done(e.size() == 2 ? static_cast<int>(e[1].as_integer().value_or(0)) : 0);
              });
}

void ReminderStore::Claim(int shard_index, std::string owner, absl::Time now,
                          absl::Duration lease, int max,
                          Callback<std::vector<ClaimedReminder>> done) {
  const keys::ReminderShard shard(shard_index);
  redis_.Eval(scripts::ReminderClaim(),
              {shard.DueReminders(), shard.Leases(), shard.LeaseOwners(), shard.Reminders()},
              {Ms(now), absl::StrCat(absl::ToInt64Milliseconds(lease)),
               absl::StrCat(max), std::move(owner)},
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                std::vector<std::string> flat = Strings(*reply);
                std::vector<ClaimedReminder> claimed;
                claimed.reserve(flat.size() / 2);
                for (size_t i = 0; i + 1 < flat.size(); i += 2) {
                  claimed.push_back({std::move(flat[i]), std::move(flat[i + 1])});
                }
                done(std::move(claimed));
              });
}

void ReminderStore::Complete(int shard_index, std::string owner, absl::Time now,
                             std::vector<DeliveredReminder> delivered,
                             Callback<CompleteOutcome> done) {
  if (delivered.empty()) return done(CompleteOutcome{});
  const keys::ReminderShard shard(shard_index);
  std::vector<std::string> args = shard.IndexPrefixes();
  args.reserve(9 + delivered.size() * 6);
  args.push_back(std::move(owner));
  args.push_back(Ms(now));
  args.push_back(absl::StrCat(max_outbox_));
  args.push_back(shard.SentPrefix());
  for (DeliveredReminder& d : delivered) {
    args.push_back(std::move(d.key));
    args.push_back(std::move(d.notification_id));
    args.push_back(std::move(d.event_id));
    args.push_back(std::move(d.participant_id));
    args.push_back(std::move(d.record));
    args.push_back(std::move(d.told));
  }
  redis_.Eval(scripts::ReminderComplete(),
              {shard.Leases(), shard.LeaseOwners(), shard.Reminders(), shard.Notifications(),
               shard.Outbox(), shard.OutboxEntries(), shard.Told()},
              std::move(args),
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                auto e = reply->elements();
                if (e.size() != 2) {
                  return done(absl::InternalError("reminder_complete: bad reply"));
                }
                done(CompleteOutcome{static_cast<int>(e[0].as_integer().value_or(0)),
                                     static_cast<int>(e[1].as_integer().value_or(0))});
              });
}

void ReminderStore::CountDue(absl::Time now, Callback<int64_t> done) {
  OnEveryShard<int64_t>(
      shards_,
      [this, now](int shard, Callback<int64_t> counted) {
        redis_.Command({"ZCOUNT", keys::ReminderShard(shard).DueReminders(), "-inf", Ms(now)},
                       [counted = std::move(counted)](absl::StatusOr<RedisReply> r) mutable {
                         if (!r.ok()) return counted(r.status());
                         counted(r->as_integer());
                       });
      },
      [done = std::move(done)](absl::StatusOr<std::vector<int64_t>> counts) mutable {
        if (!counts.ok()) return done(counts.status());
        int64_t total = 0;
        for (int64_t n : *counts) total += n;
        done(total);
      });
}

void ReminderStore::ListPending(std::string event_id,
                                std::string participant_id,
                                Callback<std::vector<std::string>> done) {
  auto list = [this, event_id, participant_id](int shard_index,
                                                Callback<std::vector<std::string>> listed) {
    const keys::ReminderShard shard(shard_index);
    std::vector<std::string> args = shard.IndexPrefixes();
    args.push_back(event_id);
    args.push_back(participant_id);
    args.push_back("100000");
    redis_.Eval(scripts::ReminderList(), {shard.Reminders()}, std::move(args),
                [listed = std::move(listed)](absl::StatusOr<RedisReply> reply) mutable {
                  if (!reply.ok()) return listed(reply.status());
                  listed(Strings(*reply));
                });
  };
  // An event's reminders are in its shard; a participant's, in any.
  if (!event_id.empty()) return list(ShardOf(event_id), std::move(done));
  OnEveryShard<std::vector<std::string>>(
      shards_, std::move(list),
      [done = std::move(done)](absl::StatusOr<std::vector<std::vector<std::string>>> parts) mutable {
        if (!parts.ok()) return done(parts.status());
        std::vector<std::string> all;
        for (std::vector<std::string>& part : *parts) {
          all.insert(all.end(), std::make_move_iterator(part.begin()),
                     std::make_move_iterator(part.end()));
        }
        done(std::move(all));
      });
}

void ReminderStore::ListNotifications(
    std::string event_id, int64_t offset, int count,
    Callback<std::vector<StoredNotification>> done) {
  const keys::ReminderShard shard(ShardOf(event_id));
  redis_.Command(
      {"ZRANGE", shard.EventNotifications(event_id), absl::StrCat(offset),
       absl::StrCat(offset + count - 1)},
      [this, shard, done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        std::vector<std::string> ids = Strings(*reply);
        if (ids.empty()) return done(std::vector<StoredNotification>{});
        std::vector<std::string> records = {"HMGET", shard.Notifications()};
        std::vector<std::string> states = {"HMGET", shard.NotificationStates()};
        records.insert(records.end(), ids.begin(), ids.end());
        states.insert(states.end(), ids.begin(), ids.end());
        redis_.Pipeline(
            {std::move(records), std::move(states)},
            [ids = std::move(ids), done = std::move(done)](
                absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> r) mutable {
              if (!r.ok()) return done(r.status());
              for (const auto& part : *r) {
                if (!part.ok()) return done(part.status());
              }
              auto recs = (*r)[0]->elements();
              auto sts = (*r)[1]->elements();
              std::vector<StoredNotification> out;
              for (size_t i = 0; i < ids.size() && i < recs.size(); ++i) {
                absl::StatusOr<absl::string_view> rec = recs[i].as_string();
                if (!rec.ok()) continue;  // erased
                StoredNotification n;
                n.id = ids[i];
                n.record = std::string(*rec);
                absl::StatusOr<absl::string_view> st =
                    i < sts.size() ? sts[i].as_string() : absl::NotFoundError("");
                ParseState(st.ok() ? *st : "pending|0|", n);
                out.push_back(std::move(n));
              }
              done(std::move(out));
            });
      });
}

void ReminderStore::GetNotification(std::string notification_id,
                                    Callback<StoredNotification> done) {
  const keys::ReminderShard shard = ShardOfKey(notification_id);
  redis_.Pipeline(
      {{"HGET", shard.Notifications(), notification_id},
       {"HGET", shard.NotificationStates(), notification_id}},
      [id = notification_id, done = std::move(done)](
          absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> r) mutable {
        if (!r.ok()) return done(r.status());
        if (!(*r)[0].ok()) return done((*r)[0].status());
        absl::StatusOr<absl::string_view> rec = (*r)[0]->as_string();
        if (!rec.ok()) {
          return done(absl::NotFoundError(
              absl::StrCat("notification_id: ", id, " is not a notification")));
        }
        StoredNotification n;
        n.id = id;
        n.record = std::string(*rec);
        absl::StatusOr<absl::string_view> st =
            (*r)[1].ok() ? (*r)[1]->as_string() : absl::NotFoundError("");
        ParseState(st.ok() ? *st : "pending|0|", n);
        done(std::move(n));
      });
}

void ReminderStore::Ack(std::string group, std::string notification_id,
                        Callback<bool> done) {
  const keys::ReminderShard shard = ShardOfKey(notification_id);
  redis_.Eval(scripts::NotificationAck(),
              {shard.Outbox(), shard.OutboxEntries(), shard.NotificationStates()},
              {std::move(group), std::move(notification_id)},
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                done(reply->as_integer().value_or(0) == 1);
              });
}

void ReminderStore::SetDeliveryState(std::string notification_id,
                                     std::string state, int attempts,
                                     std::string reason, Callback<bool> done) {
  // '|' separates the fields; a reason never needs one.
  for (char& c : reason) {
    if (c == '|') c = '/';
  }
  const keys::ReminderShard shard = ShardOfKey(notification_id);
  redis_.Command({"HSET", shard.NotificationStates(), std::move(notification_id),
                  absl::StrCat(state, "|", attempts, "|", reason)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   done(true);
                 });
}

void ReminderStore::GetTold(std::string event_id, std::string participant_id,
                            Callback<std::optional<std::string>> done) {
  const keys::ReminderShard shard(ShardOf(event_id));
  redis_.Command({"HGET", shard.Told(), absl::StrCat(event_id, "/", participant_id)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   absl::StatusOr<absl::string_view> s = reply->as_string();
                   if (!s.ok()) return done(std::optional<std::string>());
                   done(std::optional<std::string>(std::string(*s)));
                 });
}

void ReminderStore::RememberTold(std::string event_id, std::string participant_id,
                                 std::string state, bool only_if_none, Callback<bool> done) {
  const keys::ReminderShard shard(ShardOf(event_id));
  redis_.Command({only_if_none ? "HSETNX" : "HSET", shard.Told(), absl::StrCat(event_id, "/", participant_id),
                  std::move(state)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   done(reply->as_integer().value_or(0) == 1);
                 });
}

void ReminderStore::GetMailState(std::string notification_id,
                                 Callback<std::optional<std::string>> done) {
  const keys::ReminderShard shard = ShardOfKey(notification_id);
  redis_.Command({"HGET", shard.MailStates(), std::move(notification_id)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   absl::StatusOr<absl::string_view> s = reply->as_string();
                   if (!s.ok()) return done(std::optional<std::string>());
                   done(std::optional<std::string>(std::string(*s)));
                 });
}

void ReminderStore::SetMailState(std::string notification_id, std::string state, int attempts,
                                 std::string reason, Callback<bool> done) {
  for (char& c : reason) {
    if (c == '|') c = '/';
  }
  const keys::ReminderShard shard = ShardOfKey(notification_id);
  const std::string value = absl::StrCat(state, "|", attempts, "|", reason);
  // The notification's delivery state shows the mail's outcome too.
  redis_.Pipeline({{"HSET", shard.MailStates(), notification_id, value},
                   {"HSET", shard.NotificationStates(), notification_id, value}},
                  [done = std::move(done)](
                      absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> r) mutable {
                    if (!r.ok()) return done(r.status());
                    for (const auto& part : *r) {
                      if (!part.ok()) return done(part.status());
                    }
                    done(true);
                  });
}

void ReminderStore::PutPolicy(std::string event_id, std::string record,
                              Callback<bool> done) {
  redis_.Command({"HSET", keys::ReminderPolicies(), std::move(event_id),
                  std::move(record)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   done(true);
                 });
}

void ReminderStore::GetPolicy(std::string event_id,
                              Callback<std::optional<std::string>> done) {
  redis_.Command({"HGET", keys::ReminderPolicies(), std::move(event_id)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   absl::StatusOr<absl::string_view> s = reply->as_string();
                   if (!s.ok()) return done(std::optional<std::string>());
                   done(std::optional<std::string>(std::string(*s)));
                 });
}

void ReminderStore::ForgetParticipant(std::string participant_id, std::string event_id,
                                      Callback<Erased> done) {
  auto forget = [this, participant_id, event_id](int shard_index, Callback<Erased> erased) {
    const keys::ReminderShard shard(shard_index);
    std::vector<std::string> args = shard.IndexPrefixes();
    args.push_back(participant_id);
    args.push_back(event_id);
    args.push_back(shard.SentPrefix());
    redis_.Eval(scripts::ReminderForget(),
                {shard.DueReminders(), shard.Reminders(), shard.Leases(), shard.LeaseOwners(),
                 shard.Notifications(), shard.NotificationStates(), shard.Outbox(),
                 shard.OutboxEntries(), shard.MailStates(), shard.Told()},
                std::move(args),
                [erased = std::move(erased)](absl::StatusOr<RedisReply> reply) mutable {
                  if (!reply.ok()) return erased(reply.status());
                  auto e = reply->elements();
                  if (e.size() != 2) {
                    return erased(absl::InternalError("reminder_forget: bad reply"));
                  }
                  erased(Erased{static_cast<int>(e[0].as_integer().value_or(0)),
                                static_cast<int>(e[1].as_integer().value_or(0))});
                });
  };
  if (!event_id.empty()) return forget(ShardOf(event_id), std::move(done));
  OnEveryShard<Erased>(shards_, std::move(forget),
                       [done = std::move(done)](absl::StatusOr<std::vector<Erased>> parts) mutable {
                         if (!parts.ok()) return done(parts.status());
                         Erased total;
                         for (const Erased& e : *parts) {
                           total.reminders += e.reminders;
                           total.notifications += e.notifications;
                         }
                         done(total);
                       });
}


void ReminderStore::PutWebhook(std::string id, std::string record,
                               std::vector<std::string> event_ids, Callback<bool> done,
                               int most, int most_per_event) {
  std::vector<std::string> argv = {std::move(id), std::move(record), absl::StrCat(most),
                                   absl::StrCat(most_per_event)};
  for (std::string& e : event_ids) argv.push_back(std::move(e));
  redis_.Eval(scripts::WebhookPut(), {keys::Webhooks(), keys::WebhookEvents()}, std::move(argv),
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                done(true);
              });
}

void ReminderStore::DeleteWebhook(std::string id, Callback<bool> done) {
  redis_.Eval(scripts::WebhookDelete(), {keys::Webhooks(), keys::WebhookEvents()}, {std::move(id)},
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                done(reply->as_integer().value_or(0) == 1);
              });
}

void ReminderStore::ListWebhooks(Callback<std::vector<std::string>> done) {
  redis_.Command({"HVALS", keys::Webhooks()},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   done(Strings(*reply));
                 });
}

}  // namespace convene::storage
