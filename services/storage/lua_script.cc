#include "storage/lua_script.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace convene::storage {

std::string Sha1Hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha1(),
                 nullptr) != 1) {
    // Only fails without memory or with a broken OpenSSL install; there is
    // no sensible script identity to fall back to.
    std::fprintf(stderr, "convene: OpenSSL SHA-1 failed\n");
    std::abort();
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    hex.push_back(kHex[digest[i] >> 4]);
    hex.push_back(kHex[digest[i] & 0xf]);
  }
  return hex;
}

LuaScript::LuaScript(std::string name, std::string source, std::string function_name) {
  std::string sha1 = Sha1Hex(source);
  data_ = std::make_shared<const Data>(Data{std::move(name), std::move(source),
                                            std::move(sha1), std::move(function_name)});
}

}  // namespace convene::storage
