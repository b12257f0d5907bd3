// LuaScript: a named Lua script and its SHA-1, ready for EVALSHA.
//
// The SHA-1 is computed locally (what Redis computes in SCRIPT LOAD), so the
// first call can use EVALSHA; RedisClient::Eval loads the script only when
// Redis answers NOSCRIPT. Copies are cheap (the text is shared).
//
// Scripts live in .lua files embedded at build time by convene_embed_lua()
// (services/storage/cmake/ConveneEmbedLua.cmake), which generates e.g.
//   const LuaScript& scripts::ReserveSeat();
//
// Example:
//   static const LuaScript kGetOrFail("get_or_fail", R"lua(
//     local v = redis.call('GET', KEYS[1])
//     if not v then
//       return redis.error_reply('CONVENE NOT_FOUND ' .. KEYS[1] .. ' not found')
//     end
//     return v
//   )lua");
//   client.Eval(kGetOrFail, {"key"}, {}, std::move(done));
#ifndef CONVENE_STORAGE_LUA_SCRIPT_H_
#define CONVENE_STORAGE_LUA_SCRIPT_H_

#include <memory>
#include <string>

namespace convene::storage {

class LuaScript {
 public:
  // `name` is for messages ("script reserve_seat: ..."); `source` is the Lua.
  // With `function_name`, `source` is a Redis function library registering
  // that function, and RedisClient::Eval calls it with FCALL (loading the
  // library when Redis does not have it).
  LuaScript(std::string name, std::string source, std::string function_name = "");

  const std::string& name() const { return data_->name; }
  const std::string& source() const { return data_->source; }
  const std::string& function_name() const { return data_->function_name; }
  bool is_function() const { return !data_->function_name.empty(); }
  // 40 lowercase hex digits, as SCRIPT LOAD returns.
  const std::string& sha1() const { return data_->sha1; }

 private:
  struct Data {
    std::string name;
    std::string source;
    std::string sha1;
    std::string function_name;
  };
  std::shared_ptr<const Data> data_;
};

// The SHA-1 of `data` in lowercase hex.
std::string Sha1Hex(const std::string& data);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_LUA_SCRIPT_H_
