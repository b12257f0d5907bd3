// RequestFingerprint: what an idempotency key (a request_id) is bound to.
// The stores keep it with the key, so that the key reused for a different
// request is refused while a retry of the same request gets the first
// answer.
//
//   std::string fp = RequestFingerprint({participant_id, days, mode});
#ifndef CONVENE_STORAGE_REQUEST_FINGERPRINT_H_
#define CONVENE_STORAGE_REQUEST_FINGERPRINT_H_

#include <string>

#include "absl/types/span.h"

namespace convene::storage {

// SHA-256 (hex) of `parts`, each length-prefixed so that no two lists of
// parts collide.
std::string RequestFingerprint(absl::Span<const std::string> parts);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REQUEST_FINGERPRINT_H_
