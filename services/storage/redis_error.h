// How Redis error replies become absl::Status: the one place that decides.
//
// RedisClient::Command/Eval/Pipeline never hand an error reply to the caller
// as a value; they apply RedisErrorToStatus below:
//
// 1. Domain errors from Lua scripts. A script reports an expected business
//    outcome by returning
//        return redis.error_reply("CONVENE <CODE> <message>")
//    where <CODE> is one of
//        NOT_FOUND ALREADY_EXISTS FAILED_PRECONDITION ABORTED
//        INVALID_ARGUMENT RESOURCE_EXHAUSTED OUT_OF_RANGE UNAUTHENTICATED
//        PERMISSION_DENIED
//    The caller gets exactly that absl code with <message> as the message
//    (no prefix added: it is written for the end user). Example:
//        return redis.error_reply("CONVENE NOT_FOUND event 42 not found")
//    -> absl::NotFoundError("event 42 not found").
//    Use ABORTED for "state changed under you, retry the whole
//    read-modify-write" and FAILED_PRECONDITION for "do not retry until the
//    state changes" (absl/status/status.h). A "CONVENE" error with an unknown
//    code is a bug in the script: INTERNAL.
//    Lua's error()/raising inside the script is NOT a domain error: Redis
//    wraps it ("ERR user_script:3: ...") and it maps by rule 3.
// 2. Server states that clear by themselves: LOADING, READONLY, MASTERDOWN,
//    BUSY, TRYAGAIN, CLUSTERDOWN, NOREPLICAS, OOM -> UNAVAILABLE (retry).
//    So are all transport failures (not connected, connection lost, no reply
//    by the deadline) reported by RedisClient itself.
// 3. Everything else (WRONGTYPE, ERR syntax, NOSCRIPT outside Eval, NOAUTH,
//    ...) means our code or deployment is wrong: INTERNAL, with the Redis
//    message and the command name ("redis HGET: WRONGTYPE Operation ...").
//
// Example:
//   absl::Status s = RedisErrorToStatus("CONVENE ABORTED seat taken", "EVALSHA");
//   // s == absl::AbortedError("seat taken")
#ifndef CONVENE_STORAGE_REDIS_ERROR_H_
#define CONVENE_STORAGE_REDIS_ERROR_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace convene::storage {

// The prefix a Lua script puts before a domain error's code.
inline constexpr absl::string_view kDomainErrorPrefix = "CONVENE";

// Maps the text of a Redis error reply (without the leading '-') to a non-OK
// Status by the rules above. `context` names what failed (a command name or
// "script reserve_seat") and prefixes non-domain messages.
absl::Status RedisErrorToStatus(absl::string_view error,
                                absl::string_view context);

// Formats the error text a script (or a fake in tests) returns for a domain
// error: DomainErrorText(absl::StatusCode::kNotFound, "event 42 not found")
// == "CONVENE NOT_FOUND event 42 not found". The code must be one of the
// codes listed above.
std::string DomainErrorText(absl::StatusCode code, absl::string_view message);

}  // namespace convene::storage

#endif  // CONVENE_STORAGE_REDIS_ERROR_H_
