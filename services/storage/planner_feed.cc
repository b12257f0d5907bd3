#include "storage/planner_feed.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/log.h"
#include "storage/cluster_slot.h"
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

absl::StatusOr<bool> PlannerFeed::TryLead(const std::string& owner,
                                          absl::Duration ttl) {
  absl::StatusOr<RedisReply> r = redis_.Eval(
      LeadScript(), {keys_.lease},
      {owner, absl::StrCat(absl::ToInt64Milliseconds(ttl))});
  if (!r.ok()) return r.status();
  return r->as_integer().value_or(0) == 1;
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
  saved_ = out;
  return out;
}

absl::Status PlannerFeed::SavePositions(
    const std::map<std::string, std::string>& positions) {
  std::vector<std::string> argv = {"HSET", keys_.positions};
  for (const auto& [stream, id] : positions) {
    auto it = saved_.find(stream);
    if (it != saved_.end() && it->second == id) continue;
    argv.push_back(stream);
    argv.push_back(id);
  }
  if (argv.size() == 2) return absl::OkStatus();
  if (absl::Status s = redis_.Command(argv).status(); !s.ok()) {
    // Unknown whether it was written: the next save writes everything again.
    saved_.clear();
    return s;
  }
  for (size_t i = 2; i + 1 < argv.size(); i += 2) saved_[argv[i]] = argv[i + 1];
  return absl::OkStatus();
}

namespace {

std::vector<std::string> XReadCommand(const std::map<std::string, std::string>& positions,
                                      int count, absl::Duration block) {
  std::vector<std::string> argv = {"XREAD", "COUNT", absl::StrCat(count)};
  if (block > absl::ZeroDuration()) {
    argv.push_back("BLOCK");
    argv.push_back(absl::StrCat(absl::ToInt64Milliseconds(block)));
  }
  argv.push_back("STREAMS");
  for (const auto& entry : positions) argv.push_back(entry.first);
  for (const auto& entry : positions) argv.push_back(entry.second);
  return argv;
}

// [[stream, [[id, [field, value, ...]], ...]], ...] (nil: nothing new).
void AppendXReadReply(const RedisReply& r, std::vector<FeedEntry>& out) {
  if (r.is_nil()) return;
  for (const RedisReply& stream : r.elements()) {
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
}

bool IsCrossSlot(const absl::Status& s) {
  return absl::StrContains(s.message(), "CROSSSLOT");
}

}  // namespace

absl::StatusOr<std::vector<FeedEntry>> PlannerFeed::Read(
    const std::map<std::string, std::string>& positions, int count,
    absl::Duration block) {
  std::vector<FeedEntry> out;
  if (positions.empty()) return out;
  if (!split_by_slot_) {
    absl::StatusOr<RedisReply> r =
        redis_.Command(XReadCommand(positions, count, block), block + absl::Seconds(5));
    if (r.ok()) {
      AppendXReadReply(*r, out);
      return out;
    }
    if (!IsCrossSlot(r.status())) return r.status();
    // Redis Cluster: one XREAD may only name streams of one slot. From now
    // on this feed reads slot by slot.
    core::LogInfo("stream follower: Redis Cluster refuses one XREAD across slots; reading "
                  "each slot's streams on their own from now on");
    split_by_slot_ = true;
  }
  std::map<int, std::map<std::string, std::string>> by_slot;
  for (const auto& [key, position] : positions) by_slot[KeySlot(key)].emplace(key, position);
  if (by_slot.size() == 1) {
    absl::StatusOr<RedisReply> r =
        redis_.Command(XReadCommand(positions, count, block), block + absl::Seconds(5));
    if (!r.ok()) return r.status();
    AppendXReadReply(*r, out);
    return out;
  }
  // Several slots: one non-blocking read per slot, pipelined; with nothing
  // new, wait a short while before the caller asks again (a blocking read
  // can only wait on one slot). The reads are not one snapshot: a change
  // written between two of them could be seen after a later one. So the
  // pipeline starts with TIME, and only entries older than that instant
  // (which every read saw, whenever it ran) are returned; newer ones come
  // with the next read, keeping the order followers rely on. When only
  // such newer entries came, the read is made again a millisecond later,
  // so a caller draining the streams is never told "nothing" while they
  // hold entries.
  for (int attempt = 0; attempt < 10; ++attempt) {
    std::vector<std::vector<std::string>> commands = {{"TIME"}};
    for (const auto& [slot, streams] : by_slot) {
      commands.push_back(XReadCommand(streams, count, absl::ZeroDuration()));
    }
    absl::StatusOr<std::vector<absl::StatusOr<RedisReply>>> replies =
        redis_.Pipeline(std::move(commands));
    if (!replies.ok()) return replies.status();
    const absl::StatusOr<RedisReply>& time = (*replies)[0];
    if (!time.ok()) return time.status();
    int64_t seconds = 0, micros = 0;
    auto t = time->elements();
    if (t.size() != 2 || !absl::SimpleAtoi(t[0].text(), &seconds) ||
        !absl::SimpleAtoi(t[1].text(), &micros)) {
      return absl::InternalError("TIME: unexpected reply");
    }
    const std::string before = absl::StrCat(seconds * 1000 + micros / 1000, "-0");
    std::vector<FeedEntry> read;
    for (size_t i = 1; i < replies->size(); ++i) {
      const absl::StatusOr<RedisReply>& r = (*replies)[i];
      if (!r.ok()) return r.status();
      AppendXReadReply(*r, read);
    }
    // Per stream the entries come in order, so dropping a stream's newer
    // tail leaves no gap.
    bool held_back = false;
    for (FeedEntry& e : read) {
      if (StreamIdLess(e.id, before)) {
        out.push_back(std::move(e));
      } else {
        held_back = true;
      }
    }
    if (!out.empty() || !held_back) break;
    absl::SleepFor(absl::Milliseconds(1));
  }
  if (out.empty() && block > absl::ZeroDuration()) {
    absl::SleepFor(std::min(block, kSplitReadPause));
  }
  return out;
}

}  // namespace convene::storage
