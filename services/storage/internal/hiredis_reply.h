// Copies a hiredis redisReply into a RedisReply. Internal.
#ifndef CONVENE_STORAGE_INTERNAL_HIREDIS_REPLY_H_
#define CONVENE_STORAGE_INTERNAL_HIREDIS_REPLY_H_

#include <hiredis/hiredis.h>

#include "storage/redis_reply.h"

namespace convene::storage::internal {

// A deep copy of `reply` (which hiredis frees after the callback).
RedisReply FromHiredis(const redisReply& reply);

}  // namespace convene::storage::internal

#endif  // CONVENE_STORAGE_INTERNAL_HIREDIS_REPLY_H_
