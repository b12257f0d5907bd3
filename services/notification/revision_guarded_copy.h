// The stored form a service's copy of another's records shares
// (EventCopyStore, RegistrationCopyStore): a hash field holding
// "<revision>|<value>", written only over an older revision, so that replays
// and catch-ups race freely.
#ifndef CONVENE_NOTIFICATION_REVISION_GUARDED_COPY_H_
#define CONVENE_NOTIFICATION_REVISION_GUARDED_COPY_H_

#include <string>

#include "absl/status/statusor.h"
#include "storage/lua_script.h"

namespace convene::storage::internal {

// KEYS: 1 the hash, 2 (optional) a sorted set the id is scored in.
// ARGV: 1 id, 2 revision, 3 value, 4 (with KEYS[2]) the score.
// Returns 1 when written, 0 when a copy of that revision or later is kept.
const LuaScript& RevisionGuardedCopyPut();

// The value of a stored "<revision>|<value>"; DATA_LOSS naming `what` when
// it has no revision.
absl::StatusOr<std::string> ValueOfCopy(const std::string& stored, const std::string& what);

}  // namespace convene::storage::internal

#endif  // CONVENE_NOTIFICATION_REVISION_GUARDED_COPY_H_
