// Secrets of the browser side: session ids and CSRF tokens (random, from
// OpenSSL's CSPRNG) and their comparison in constant time, so that the time
// a refused request takes tells nothing about how much of a guess was right.
//
//   std::string csrf = RandomToken();          // 64 hex digits
//   if (!ConstantTimeEquals(sent, csrf)) ...   // 403
#ifndef CONVENE_CLIENTS_WEB_CSRF_H_
#define CONVENE_CLIENTS_WEB_CSRF_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convene::web {

// 32 random bytes as 64 lower-case hex digits. Aborts the process if the
// system cannot give random bytes: a guessable session id is worse than none.
std::string RandomToken();

// Whether a == b, in time that depends only on the lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace convene::web

#endif  // CONVENE_CLIENTS_WEB_CSRF_H_
