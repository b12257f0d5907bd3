#include "storage/owner_token.h"

#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"

namespace convene::storage {

std::string MakeOwnerToken() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::random_device random;
  return absl::StrCat(host, ":", getpid(), ":", random());
}

}  // namespace convene::storage
