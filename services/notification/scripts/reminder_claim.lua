-- Claims due reminders for one dispatcher: first those whose lease ran out
-- (their dispatcher died or stalled), then those due by now, up to a
-- maximum. Each claimed reminder leaves the due set and is leased to the
-- owner until now + lease; only that owner can complete it. Commands are
-- variadic, in chunks (Lua's unpack() takes a few thousand values at most):
-- the script's cost is per batch more than per reminder.
-- KEYS: 1 due zset, 2 leases zset, 3 lease owners hash, 4 records hash
-- ARGV: 1 now ms, 2 lease ms, 3 max, 4 owner token
-- Returns {key, record, key, record, ...}.
local now, max = tonumber(ARGV[1]), tonumber(ARGV[3])
local expiry = now + tonumber(ARGV[2])
local CHUNK = 500

local keys = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, max)
if #keys < max then
  local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, max - #keys)
  for i = 1, #due, CHUNK do
    redis.call('ZREM', KEYS[1], unpack(due, i, math.min(i + CHUNK - 1, #due)))
  end
  for _, key in ipairs(due) do keys[#keys + 1] = key end
end

local out = {}
for i = 1, #keys, CHUNK do
  local last = math.min(i + CHUNK - 1, #keys)
  local records = redis.call('HMGET', KEYS[4], unpack(keys, i, last))
  local leases, owners, gone = {}, {}, {}
  for j = i, last do
    local record = records[j - i + 1]
    if record then
      leases[#leases + 1] = expiry
      leases[#leases + 1] = keys[j]
      owners[#owners + 1] = keys[j]
      owners[#owners + 1] = ARGV[4]
      out[#out + 1] = keys[j]
      out[#out + 1] = record
    else
      -- Re-planned away while leased: nothing left to send.
      gone[#gone + 1] = keys[j]
    end
  end
  if #leases > 0 then
    redis.call('ZADD', KEYS[2], unpack(leases))
    redis.call('HSET', KEYS[3], unpack(owners))
  end
  if #gone > 0 then
    redis.call('ZREM', KEYS[2], unpack(gone))
    redis.call('HDEL', KEYS[3], unpack(gone))
  end
end
return out
