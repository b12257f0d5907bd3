#include "core/pseudonym.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace convene::core {

std::string ParticipantPseudonym(absl::string_view key, absl::string_view event_id,
                                 absl::string_view participant_id) {
  if (participant_id.empty()) return "";
  // NUL cannot occur in either id: "ev_1" + "2x" and "ev_12" + "x" differ.
  const std::string data = absl::StrCat(event_id, absl::string_view("\0", 1), participant_id);
  static const unsigned char kEmpty = 0;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.empty() ? &kEmpty : static_cast<const void*>(key.data()),
       static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &size);
  // 96 bits: no two people of one event collide in practice.
  return absl::StrCat(
      "pn_", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 12)));
}

}  // namespace convene::core
