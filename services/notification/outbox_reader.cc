#include "notification/outbox_reader.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "storage/keys.h"

namespace convene::storage {
namespace {

// [[id, [field, value, ...]], ...] -> entries (deleted ones come back as
// nil field lists from XAUTOCLAIM in Redis 7 and are left out).
std::vector<OutboxEntry> ParseEntries(const RedisReply& list) {
  std::vector<OutboxEntry> out;
  for (const RedisReply& entry : list.elements()) {
    auto parts = entry.elements();
    if (parts.size() != 2 || !parts[1].is_array()) continue;
    OutboxEntry e;
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

absl::Status OutboxReader::EnsureGroup(const std::string& group) {
  absl::StatusOr<RedisReply> r = redis_.Command(
      {"XGROUP", "CREATE", keys::NotificationStream(), group, "0", "MKSTREAM"});
  if (!r.ok() && absl::StrContains(r.status().message(), "BUSYGROUP")) {
    return absl::OkStatus();
  }
  return r.status();
}

absl::StatusOr<std::vector<OutboxEntry>> OutboxReader::ReadNew(
    const std::string& group, const std::string& consumer, int count,
    absl::Duration block) {
  std::vector<std::string> argv = {"XREADGROUP", "GROUP", group, consumer,
                                   "COUNT", absl::StrCat(count)};
  if (block > absl::ZeroDuration()) {
    argv.push_back("BLOCK");
    argv.push_back(absl::StrCat(absl::ToInt64Milliseconds(block)));
  }
  argv.push_back("STREAMS");
  argv.push_back(keys::NotificationStream());
  argv.push_back(">");
  absl::StatusOr<RedisReply> r = redis_.Command(std::move(argv), block + absl::Seconds(5));
  if (!r.ok()) return r.status();
  std::vector<OutboxEntry> out;
  if (r->is_nil()) return out;
  for (const RedisReply& stream : r->elements()) {
    auto parts = stream.elements();
    if (parts.size() == 2) {
      std::vector<OutboxEntry> got = ParseEntries(parts[1]);
      out.insert(out.end(), got.begin(), got.end());
    }
  }
  return out;
}

absl::StatusOr<std::vector<OutboxEntry>> OutboxReader::ClaimIdle(
    const std::string& group, const std::string& consumer,
    absl::Duration min_idle, int count) {
  absl::StatusOr<RedisReply> r = redis_.Command(
      {"XAUTOCLAIM", keys::NotificationStream(), group, consumer,
       absl::StrCat(absl::ToInt64Milliseconds(min_idle)), "0-0", "COUNT",
       absl::StrCat(count)});
  if (!r.ok()) return r.status();
  auto parts = r->elements();
  if (parts.size() < 2) return std::vector<OutboxEntry>{};
  return ParseEntries(parts[1]);
}

absl::Status OutboxReader::Skip(const std::string& group,
                                const std::vector<std::string>& entry_ids) {
  if (entry_ids.empty()) return absl::OkStatus();
  std::vector<std::string> argv = {"XACK", keys::NotificationStream(), group};
  argv.insert(argv.end(), entry_ids.begin(), entry_ids.end());
  return redis_.Command(std::move(argv)).status();
}

}  // namespace convene::storage
