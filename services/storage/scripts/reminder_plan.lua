-- Replaces the pending reminders of one registration (event, participant)
-- with a new plan: reminders no longer planned leave the due set, the others
-- are (re)written with their due instant and rendered record. Reminders
-- claimed by a dispatcher at this moment are left to it.
-- KEYS: 1 due zset, 2 reminder records hash, 3 the pair's set of reminder
--       keys, 4 the event's participants set, 5 the participant's events set
-- ARGV: 1 event id, 2 participant id, then key, due ms, record, ...
-- Returns {planned, dropped}.
local wanted = {}
for i = 3, #ARGV, 3 do wanted[ARGV[i]] = true end
local dropped = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if not wanted[key] then
    dropped = dropped + redis.call('ZREM', KEYS[1], key)
    redis.call('HDEL', KEYS[2], key)
    redis.call('SREM', KEYS[3], key)
  end
end
local planned = 0
for i = 3, #ARGV, 3 do
  redis.call('ZADD', KEYS[1], ARGV[i + 1], ARGV[i])
  redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 2])
  redis.call('SADD', KEYS[3], ARGV[i])
  planned = planned + 1
end
if planned > 0 then
  redis.call('SADD', KEYS[4], ARGV[2])
  redis.call('SADD', KEYS[5], ARGV[1])
elseif redis.call('SCARD', KEYS[3]) == 0 then
  redis.call('SREM', KEYS[4], ARGV[2])
  redis.call('SREM', KEYS[5], ARGV[1])
end
return {planned, dropped}
