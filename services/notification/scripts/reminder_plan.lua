-- Replaces the pending reminders of one registration (event, participant)
-- with a new plan: reminders no longer planned leave the due set, the others
-- are (re)written with their due instant and rendered record.
--
-- A reminder already due (due <= now) is kept and re-rendered while it is
-- still pending or claimed (in the pair's set: not sent yet), so an edit
-- after its due time never loses it; one that is due and not pending (sent
-- already, or planned too late to be useful) is not added. A claimed
-- reminder keeps its lease (it is not put back into the due set, so it is
-- not sent twice); its record is updated for a dispatcher that claims it
-- again after a lease runs out. A reminder already sent (in the pair's sent
-- set) is never added again, whatever its due instant: a move can put that
-- instant back in the future, and a second copy would carry the new
-- revision's idempotency key, which no consumer could dedupe.
-- KEYS: 1 due zset, 2 reminder records hash, 3 the pair's set of reminder
--       keys, 4 the event's participants set, 5 the participant's events set,
--       6 leases zset, 7 the pair's set of sent reminder keys
-- ARGV: 1 event id, 2 participant id, 3 now (ms; "-inf": add every one not
--       sent), then key, due ms, record, ...
-- Returns {planned, dropped}.
local FIRST = 4
local now = ARGV[3] == '-inf' and -math.huge or tonumber(ARGV[3])
local wanted = {}
for i = FIRST, #ARGV, 3 do wanted[ARGV[i]] = true end
local dropped = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[3])) do
  if not wanted[key] then
    dropped = dropped + redis.call('ZREM', KEYS[1], key)
    redis.call('HDEL', KEYS[2], key)
    redis.call('SREM', KEYS[3], key)
  end
end
local planned = 0
for i = FIRST, #ARGV, 3 do
  local key, due = ARGV[i], tonumber(ARGV[i + 1])
  local pending = redis.call('SISMEMBER', KEYS[3], key) == 1
  local sent = redis.call('SISMEMBER', KEYS[7], key) == 1
  if not sent and (due > now or pending) then
    if not redis.call('ZSCORE', KEYS[6], key) then
      redis.call('ZADD', KEYS[1], ARGV[i + 1], key)
    end
    redis.call('HSET', KEYS[2], key, ARGV[i + 2])
    redis.call('SADD', KEYS[3], key)
    planned = planned + 1
  end
end
if planned > 0 then
  redis.call('SADD', KEYS[4], ARGV[2])
  redis.call('SADD', KEYS[5], ARGV[1])
elseif redis.call('SCARD', KEYS[3]) == 0 then
  redis.call('SREM', KEYS[4], ARGV[2])
  -- The participant's events also lead an erasure of every event to the
  -- sent set.
  if redis.call('SCARD', KEYS[7]) == 0 then redis.call('SREM', KEYS[5], ARGV[1]) end
end
return {planned, dropped}
