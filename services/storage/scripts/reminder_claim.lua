-- Claims due reminders for one dispatcher: first those whose lease ran out
-- (their dispatcher died or stalled), then those due by now, up to a
-- maximum. Each claimed reminder leaves the due set and is leased to the
-- owner until now + lease; only that owner can complete it.
-- KEYS: 1 due zset, 2 leases zset, 3 lease owners hash, 4 records hash
-- ARGV: 1 now ms, 2 lease ms, 3 max, 4 owner token
-- Returns {key, record, key, record, ...}.
local now, max = tonumber(ARGV[1]), tonumber(ARGV[3])
local expiry = now + tonumber(ARGV[2])
local out = {}
local function claim(key)
  local record = redis.call('HGET', KEYS[4], key)
  if record then
    redis.call('ZADD', KEYS[2], expiry, key)
    redis.call('HSET', KEYS[3], key, ARGV[4])
    out[#out + 1] = key
    out[#out + 1] = record
  else
    -- Re-planned away while leased: nothing left to send.
    redis.call('ZREM', KEYS[2], key)
    redis.call('HDEL', KEYS[3], key)
  end
end
for _, key in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now,
                                'LIMIT', 0, max)) do
  claim(key)
end
local room = max - #out / 2
if room > 0 then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, room)
  if #due > 0 then
    redis.call('ZREM', KEYS[1], unpack(due))
    for _, key in ipairs(due) do claim(key) end
  end
end
return out
