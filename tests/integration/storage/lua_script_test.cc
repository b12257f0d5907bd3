#include "storage/lua_script.h"

#include "gtest/gtest.h"
#include "tests/integration/storage/scripts/get_or_not_found_lua.h"

namespace convene::storage {
namespace {

TEST(LuaScript, ComputesTheSha1RedisUses) {
  // echo -n "return 1" | sha1sum
  LuaScript script("one", "return 1");
  EXPECT_EQ(script.sha1(), "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
  EXPECT_EQ(script.name(), "one");
  EXPECT_EQ(script.source(), "return 1");
}

TEST(LuaScript, EmbedsLuaFilesAtBuildTime) {
  const LuaScript& script = test_scripts::GetOrNotFound();
  EXPECT_EQ(script.name(), "get_or_not_found");
  EXPECT_NE(script.source().find("redis.call('GET', KEYS[1])"),
            std::string::npos);
  EXPECT_EQ(script.sha1(), Sha1Hex(script.source()));
  EXPECT_EQ(&script, &test_scripts::GetOrNotFound());
}

}  // namespace
}  // namespace convene::storage
