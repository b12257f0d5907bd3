-- Deletes a webhook and the record of its events (webhook_put.lua).
-- KEYS: 1 webhooks hash, 2 hash id -> event ids
-- ARGV: 1 id
-- Returns 1 when it existed.
local n = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return n
