#include "notification/outbox_reader.h"

#include <algorithm>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "notification/scripts/outbox_group_join_lua.h"
#include "notification/scripts/outbox_leave_lua.h"
#include "storage/keys.h"

namespace convene::storage {
namespace {

// [[id, [field, value, ...]], ...] -> entries (deleted ones come back as
// nil field lists from XAUTOCLAIM in Redis 7 and are left out).
std::vector<OutboxEntry> ParseEntries(const RedisReply& list, int shard) {
  std::vector<OutboxEntry> out;
  for (const RedisReply& entry : list.elements()) {
    auto parts = entry.elements();
    if (parts.size() != 2 || !parts[1].is_array()) continue;
    OutboxEntry e;
    e.shard = shard;
    e.entry_id = parts[0].text();
    auto kv = parts[1].elements();
    for (size_t i = 0; i + 1 < kv.size(); i += 2) {
      if (kv[i].text() == "n") e.notification_id = kv[i + 1].text();
      if (kv[i].text() == "e") e.event_id = kv[i + 1].text();
    }
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

absl::Status OutboxReader::EnsureGroupOn(const std::string& group, int shard) {
  if (grouped_.count({group, shard})) return absl::OkStatus();
  absl::StatusOr<RedisReply> r = redis_.Command(
      {"XGROUP", "CREATE", keys::ReminderShard(shard).Outbox(), group, "0", "MKSTREAM"});
  if (!r.ok() && !absl::StrContains(r.status().message(), "BUSYGROUP")) return r.status();
  grouped_.insert({group, shard});
  return absl::OkStatus();
}

void OutboxReader::Forget(const std::string& group, int shard, const absl::Status& status) {
  if (absl::IsNotFound(status) || absl::StrContains(status.message(), "NOGROUP")) {
    grouped_.erase({group, shard});
  }
}

absl::Status OutboxReader::EnsureGroup(const std::string& group) {
  absl::Status first;
  for (int shard = 0; shard < shards_; ++shard) {
    absl::Status s = EnsureGroupOn(group, shard);
    if (first.ok()) first = s;
  }
  return first;
}

absl::Status OutboxReader::Join(const std::string& group, const GroupLimits& limits,
                                absl::Time now) {
  absl::Status last;
  int answered = 0;
  for (int shard = 0; shard < shards_; ++shard) {
    const std::string outbox = keys::ReminderShard(shard).Outbox();
    std::vector<std::string> argv = {
        group, absl::StrCat(absl::ToUnixMillis(now)),
        absl::StrCat(absl::ToInt64Milliseconds(limits.idle)), absl::StrCat(limits.max_groups)};
    argv.insert(argv.end(), limits.own_groups.begin(), limits.own_groups.end());
    absl::StatusOr<RedisReply> r = redis_.Eval(
        scripts::OutboxGroupJoin(), {outbox, keys::ReminderShard(shard).OutboxGroupsSeen()}, argv);
    if (!r.ok()) {
      if (absl::IsResourceExhausted(r.status())) return r.status();
      last = r.status();
      continue;
    }
    ++answered;
    grouped_.insert({group, shard});
  }
  if (answered == 0) return last;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<OutboxEntry>> OutboxReader::ReadShard(
    const std::string& group, const std::string& consumer, int shard, int count,
    absl::Duration block) {
  if (absl::Status s = EnsureGroupOn(group, shard); !s.ok()) return s;
  std::vector<std::string> argv = {"XREADGROUP", "GROUP", group, consumer,
                                   "COUNT", absl::StrCat(count)};
  if (block > absl::ZeroDuration()) {
    argv.push_back("BLOCK");
    argv.push_back(absl::StrCat(std::max<int64_t>(1, absl::ToInt64Milliseconds(block))));
  }
  argv.push_back("STREAMS");
  argv.push_back(keys::ReminderShard(shard).Outbox());
  argv.push_back(">");
  absl::StatusOr<RedisReply> r = redis_.Command(std::move(argv), block + absl::Seconds(5));
  if (!r.ok()) {
    Forget(group, shard, r.status());
    return r.status();
  }
  std::vector<OutboxEntry> out;
  if (r->is_nil()) return out;
  for (const RedisReply& stream : r->elements()) {
    auto parts = stream.elements();
    if (parts.size() == 2) {
      std::vector<OutboxEntry> got = ParseEntries(parts[1], shard);
      out.insert(out.end(), got.begin(), got.end());
    }
  }
  return out;
}

absl::StatusOr<std::vector<OutboxEntry>> OutboxReader::ReadNew(
    const std::string& group, const std::string& consumer, int count,
    absl::Duration block) {
  const int start = next_shard_;
  next_shard_ = (next_shard_ + 1) % shards_;
  // One stream per shard and no cross-slot XREADGROUP: look at each without
  // waiting first, then wait on each in turn for its share of `block`.
  for (const bool waiting : {false, true}) {
    if (waiting && block <= absl::ZeroDuration()) break;
    if (!waiting && shards_ == 1 && block > absl::ZeroDuration()) continue;  // just wait
    std::vector<OutboxEntry> out;
    absl::Status last;
    int answered = 0;
    for (int i = 0; i < shards_ && static_cast<int>(out.size()) < count; ++i) {
      const int shard = (start + i) % shards_;
      absl::StatusOr<std::vector<OutboxEntry>> got = ReadShard(
          group, consumer, shard, count - static_cast<int>(out.size()),
          waiting ? block / shards_ : absl::ZeroDuration());
      if (!got.ok()) {
        last = got.status();
        continue;
      }
      ++answered;
      out.insert(out.end(), got->begin(), got->end());
      if (waiting && !out.empty()) break;
    }
    if (answered == 0) return last;
    if (!out.empty() || waiting) return out;
  }
  return std::vector<OutboxEntry>{};
}

absl::StatusOr<std::vector<OutboxEntry>> OutboxReader::ClaimIdle(
    const std::string& group, const std::string& consumer,
    absl::Duration min_idle, int count) {
  std::vector<OutboxEntry> out;
  absl::Status last;
  int answered = 0;
  for (int shard = 0; shard < shards_; ++shard) {
    if (absl::Status s = EnsureGroupOn(group, shard); !s.ok()) {
      last = s;
      continue;
    }
    absl::StatusOr<RedisReply> r = redis_.Command(
        {"XAUTOCLAIM", keys::ReminderShard(shard).Outbox(), group, consumer,
         absl::StrCat(absl::ToInt64Milliseconds(min_idle)), "0-0", "COUNT",
         absl::StrCat(count)});
    if (!r.ok()) {
      Forget(group, shard, r.status());
      last = r.status();
      continue;
    }
    ++answered;
    auto parts = r->elements();
    if (parts.size() < 2) continue;
    std::vector<OutboxEntry> got = ParseEntries(parts[1], shard);
    out.insert(out.end(), got.begin(), got.end());
  }
  if (answered == 0) return last;
  return out;
}

absl::StatusOr<std::vector<OutboxEntry>> OutboxReader::Take(const std::string& group,
                                                            const std::string& consumer,
                                                            absl::Duration min_idle, int count,
                                                            absl::Duration block) {
  absl::StatusOr<std::vector<OutboxEntry>> idle = ClaimIdle(group, consumer, min_idle, count);
  if (!idle.ok() || !idle->empty()) return idle;
  return ReadNew(group, consumer, count, block);
}

absl::Status OutboxReader::Leave(const std::string& group) {
  absl::Status first;
  for (int shard = 0; shard < shards_; ++shard) {
    absl::Status s =
        redis_.Eval(scripts::OutboxLeave(), {keys::ReminderShard(shard).Outbox()}, {group})
            .status();
    if (first.ok()) first = s;
  }
  return first;
}

absl::Status OutboxReader::Skip(const std::string& group,
                                const std::vector<OutboxEntry>& entries) {
  std::map<int, std::vector<std::string>> by_shard;
  for (const OutboxEntry& e : entries) by_shard[e.shard].push_back(e.entry_id);
  absl::Status first;
  for (auto& [shard, ids] : by_shard) {
    std::vector<std::string> argv = {"XACK", keys::ReminderShard(shard).Outbox(), group};
    argv.insert(argv.end(), ids.begin(), ids.end());
    absl::Status s = redis_.Command(std::move(argv)).status();
    if (first.ok()) first = s;
  }
  return first;
}

}  // namespace convene::storage
