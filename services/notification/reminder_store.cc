#include "notification/reminder_store.h"

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

}  // namespace

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
  redis_.Eval(scripts::ReminderPlan(),
              {keys::DueReminders(), keys::Reminders(),
               keys::ReminderPair(event_id, participant_id),
               keys::EventReminderParticipants(event_id),
               keys::ParticipantReminderEvents(participant_id), keys::ReminderLeases()},
              std::move(args),
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                auto e = reply->elements();
                done(e.size() == 2 ? static_cast<int>(e[1].as_integer().value_or(0)) : 0);
              });
}

void ReminderStore::Claim(std::string owner, absl::Time now,
                          absl::Duration lease, int max,
                          Callback<std::vector<ClaimedReminder>> done) {
  redis_.Eval(scripts::ReminderClaim(),
              {keys::DueReminders(), keys::ReminderLeases(),
               keys::ReminderLeaseOwners(), keys::Reminders()},
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

void ReminderStore::Complete(std::string owner, absl::Time now,
                             std::vector<DeliveredReminder> delivered,
                             Callback<CompleteOutcome> done) {
  if (delivered.empty()) return done(CompleteOutcome{});
  std::vector<std::string> args = keys::NotificationIndexPrefixes();
  args.reserve(8 + delivered.size() * 5);
  args.push_back(std::move(owner));
  args.push_back(Ms(now));
  args.push_back(absl::StrCat(max_outbox_));
  for (DeliveredReminder& d : delivered) {
    args.push_back(std::move(d.key));
    args.push_back(std::move(d.notification_id));
    args.push_back(std::move(d.event_id));
    args.push_back(std::move(d.participant_id));
    args.push_back(std::move(d.record));
  }
  redis_.Eval(scripts::ReminderComplete(),
              {keys::ReminderLeases(), keys::ReminderLeaseOwners(),
               keys::Reminders(), keys::Notifications(),
               keys::NotificationStream(), keys::OutboxEntries()},
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
  redis_.Command({"ZCOUNT", keys::DueReminders(), "-inf", Ms(now)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   done(reply->as_integer());
                 });
}

void ReminderStore::ListPending(std::string event_id,
                                std::string participant_id,
                                Callback<std::vector<std::string>> done) {
  std::vector<std::string> args = keys::NotificationIndexPrefixes();
  args.push_back(std::move(event_id));
  args.push_back(std::move(participant_id));
  args.push_back("100000");
  redis_.Eval(scripts::ReminderList(), {keys::Reminders()}, std::move(args),
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                done(Strings(*reply));
              });
}

void ReminderStore::ListNotifications(
    std::string event_id, int64_t offset, int count,
    Callback<std::vector<StoredNotification>> done) {
  redis_.Command(
      {"ZRANGE", keys::EventNotifications(event_id), absl::StrCat(offset),
       absl::StrCat(offset + count - 1)},
      [this, done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
        if (!reply.ok()) return done(reply.status());
        std::vector<std::string> ids = Strings(*reply);
        if (ids.empty()) return done(std::vector<StoredNotification>{});
        std::vector<std::string> records = {"HMGET", keys::Notifications()};
        std::vector<std::string> states = {"HMGET", keys::NotificationStates()};
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
  redis_.Pipeline(
      {{"HGET", keys::Notifications(), notification_id},
       {"HGET", keys::NotificationStates(), notification_id}},
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
  redis_.Eval(scripts::NotificationAck(),
              {keys::NotificationStream(), keys::OutboxEntries(),
               keys::NotificationStates()},
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
  redis_.Command({"HSET", keys::NotificationStates(), std::move(notification_id),
                  absl::StrCat(state, "|", attempts, "|", reason)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
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
  redis_.Eval(scripts::ReminderForget(),
              {keys::DueReminders(), keys::Reminders(), keys::ReminderLeases(),
               keys::ReminderLeaseOwners(), keys::Notifications(), keys::NotificationStates(),
               keys::NotificationStream(), keys::OutboxEntries()},
              [&] {
                std::vector<std::string> args = keys::NotificationIndexPrefixes();
                args.push_back(std::move(participant_id));
                args.push_back(std::move(event_id));
                return args;
              }(),
              [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                if (!reply.ok()) return done(reply.status());
                auto e = reply->elements();
                if (e.size() != 2) return done(absl::InternalError("reminder_forget: bad reply"));
                done(Erased{static_cast<int>(e[0].as_integer().value_or(0)),
                            static_cast<int>(e[1].as_integer().value_or(0))});
              });
}

void ReminderStore::PutWebhook(std::string id, std::string record,
                               Callback<bool> done) {
  redis_.Command({"HSET", keys::Webhooks(), std::move(id), std::move(record)},
                 [done = std::move(done)](absl::StatusOr<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   done(true);
                 });
}

void ReminderStore::DeleteWebhook(std::string id, Callback<bool> done) {
  redis_.Command({"HDEL", keys::Webhooks(), std::move(id)},
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
