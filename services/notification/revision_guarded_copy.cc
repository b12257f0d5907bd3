#include "notification/revision_guarded_copy.h"

#include "absl/strings/str_cat.h"

namespace convene::storage::internal {

const LuaScript& RevisionGuardedCopyPut() {
  static const LuaScript* script = new LuaScript("revision_guarded_copy_put", R"lua(
    local old = redis.call('HGET', KEYS[1], ARGV[1])
    if old then
      local stored = tonumber(string.match(old, '^(%d+)|'))
      if stored and stored >= tonumber(ARGV[2]) then return 0 end
    end
    redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
    if KEYS[2] then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1]) end
    return 1
  )lua");
  return *script;
}

absl::StatusOr<std::string> ValueOfCopy(const std::string& stored, const std::string& what) {
  const size_t bar = stored.find('|');
  if (bar == std::string::npos) {
    return absl::DataLossError(absl::StrCat(what, " has no revision"));
  }
  return stored.substr(bar + 1);
}

}  // namespace convene::storage::internal
