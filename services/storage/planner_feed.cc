#include "storage/planner_feed.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "storage/keys.h"
#include "storage/lua_script.h"
#include "storage/stream_range.h"

namespace convene::storage {
namespace {

const LuaScript& LeadScript() {
  static const LuaScript* script = new LuaScript("planner_lead", R"lua(
    local holder = redis.call('GET', KEYS[1])
    if holder == false or holder == ARGV[1] then
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return 1
    end
    return 0
  )lua");
  return *script;
}

}  // namespace

FollowKeys PlannerFollowKeys() {
  return {keys::PlannerLease(), keys::PlannerPositions()};
}

absl::StatusOr<bool> PlannerFeed::TryLead(const std::string& owner,
                                          absl::Duration ttl) {
  absl::StatusOr<RedisReply> r = redis_.Eval(
      LeadScript(), {keys_.lease},
      {owner, absl::StrCat(absl::ToInt64Milliseconds(ttl))});
  if (!r.ok()) return r.status();
  return r->as_integer().value_or(0) == 1;
}

absl::StatusOr<std::vector<std::string>> PlannerFeed::LiveEvents(absl::Time now) {
  absl::StatusOr<RedisReply> r =
      redis_.Command({"HGETALL", keys::CalendarAttributes()});
  if (!r.ok()) return r.status();
  const int64_t now_ms = absl::ToUnixMillis(now);
  std::vector<std::string> live;
  auto e = r->elements();
  for (size_t i = 0; i + 1 < e.size(); i += 2) {
    absl::StatusOr<absl::string_view> id = e[i].as_string();
    absl::StatusOr<absl::string_view> attrs = e[i + 1].as_string();
    if (!id.ok() || !attrs.ok()) continue;
    // "revision|start_ms|end_ms|status|..."
    std::vector<absl::string_view> parts = absl::StrSplit(*attrs, '|');
    int64_t end_ms = 0;
    if (parts.size() > 2 && absl::SimpleAtoi(parts[2], &end_ms) && end_ms > now_ms) {
      live.emplace_back(*id);
    }
  }
  return live;
}

absl::StatusOr<std::vector<std::string>> PlannerFeed::StreamsWithNews(
    const std::map<std::string, std::string>& streams) {
  std::vector<std::string> out;
  if (streams.empty()) return out;
  std::vector<std::vector<std::string>> commands;
  for (const auto& [key, position] : streams) {
    commands.push_back({"XREVRANGE", key, "+", "-", "COUNT", "1"});
  }
  absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> replies =
      redis_.Pipeline(std::move(commands));
  if (!replies.ok()) return replies.status();
  size_t i = 0;
  for (const auto& [key, position] : streams) {
    const absl::StatusOr<RedisReply>& r = (*replies)[i++];
    if (!r.ok()) return r.status();
    auto newest = r->elements();
    if (!newest.empty() && !newest[0].elements().empty() &&
        StreamIdLess(position, newest[0].elements()[0].text())) {
      out.push_back(key);
    }
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> PlannerFeed::Positions() {
  absl::StatusOr<RedisReply> r =
      redis_.Command({"HGETALL", keys_.positions});
  if (!r.ok()) return r.status();
  std::map<std::string, std::string> out;
  auto e = r->elements();
  for (size_t i = 0; i + 1 < e.size(); i += 2) {
    absl::StatusOr<absl::string_view> k = e[i].as_string();
    absl::StatusOr<absl::string_view> v = e[i + 1].as_string();
    if (k.ok() && v.ok()) out.emplace(std::string(*k), std::string(*v));
  }
  return out;
}

absl::Status PlannerFeed::SavePositions(
    const std::map<std::string, std::string>& positions) {
  if (positions.empty()) return absl::OkStatus();
  std::vector<std::string> argv = {"HSET", keys_.positions};
  for (const auto& [stream, id] : positions) {
    argv.push_back(stream);
    argv.push_back(id);
  }
  return redis_.Command(std::move(argv)).status();
}

absl::StatusOr<std::vector<FeedEntry>> PlannerFeed::Read(
    const std::map<std::string, std::string>& positions, int count,
    absl::Duration block) {
  std::vector<FeedEntry> out;
  if (positions.empty()) return out;
  std::vector<std::string> argv = {"XREAD", "COUNT", absl::StrCat(count)};
  if (block > absl::ZeroDuration()) {
    argv.push_back("BLOCK");
    argv.push_back(absl::StrCat(absl::ToInt64Milliseconds(block)));
  }
  argv.push_back("STREAMS");
  for (const auto& entry : positions) argv.push_back(entry.first);
  for (const auto& entry : positions) argv.push_back(entry.second);
  absl::StatusOr<RedisReply> r =
      redis_.Command(std::move(argv), block + absl::Seconds(5));
  if (!r.ok()) return r.status();
  if (r->is_nil()) return out;
  // [[stream, [[id, [field, value, ...]], ...]], ...]
  for (const RedisReply& stream : r->elements()) {
    auto parts = stream.elements();
    if (parts.size() != 2) continue;
    absl::StatusOr<absl::string_view> key = parts[0].as_string();
    if (!key.ok()) continue;
    for (const RedisReply& entry : parts[1].elements()) {
      auto ef = entry.elements();
      if (ef.size() != 2) continue;
      absl::StatusOr<absl::string_view> id = ef[0].as_string();
      if (!id.ok()) continue;
      FeedEntry fe;
      fe.stream = std::string(*key);
      fe.id = std::string(*id);
      auto kv = ef[1].elements();
      for (size_t i = 0; i + 1 < kv.size(); i += 2) {
        absl::StatusOr<absl::string_view> f = kv[i].as_string();
        absl::StatusOr<absl::string_view> v = kv[i + 1].as_string();
        if (f.ok() && v.ok()) fe.fields.emplace(std::string(*f), std::string(*v));
      }
      out.push_back(std::move(fe));
    }
  }
  return out;
}

}  // namespace convene::storage
