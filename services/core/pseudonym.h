// What a caller without the right to see participants (an integration
// token, core::ParticipantViewOf) is given instead of a participant id: a
// keyed hash of the event and the id. The same person in the same event
// always gets the same pseudonym, so a consumer can follow them from change
// to change; without the deployment's key nobody can tell who it is, not
// even by hashing guessed ids or e-mail addresses (participant ids may be
// e-mail addresses), and one person's pseudonyms in two events differ.
//
//   std::string p = ParticipantPseudonym(key, "ev_0123", "eleni@example.org");
//   // "pn_3f9c0e5b1d2a77c4e81f0a9b"
#ifndef CONVENE_CORE_PSEUDONYM_H_
#define CONVENE_CORE_PSEUDONYM_H_

#include <string>

#include "absl/strings/string_view.h"

namespace convene::core {

// "pn_" and 24 hex digits of HMAC-SHA256(key, event_id NUL participant_id);
// "" for an empty participant id (nobody to name).
std::string ParticipantPseudonym(absl::string_view key, absl::string_view event_id,
                                 absl::string_view participant_id);

}  // namespace convene::core

#endif  // CONVENE_CORE_PSEUDONYM_H_
