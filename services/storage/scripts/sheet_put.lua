-- Replaces an event's attendance sheet unless the stored one is as new.
-- KEYS: 1 sheet hash
-- ARGV: 1 revision, then field, value, field, value, ...
-- Returns 1 when written, 0 when the stored revision was the same or newer.
local stored = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
if stored >= tonumber(ARGV[1]) then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'revision', ARGV[1], unpack(ARGV, 2))
return 1
