-- Authenticates one call and charges it to the token's rate limit, in one
-- step: the token (by the SHA-256 of its secret) must exist and not have
-- expired, and its bucket must hold a call (a token bucket refilled at
-- `rate` calls per second up to `burst`).
-- KEYS: 1 tokens hash
-- ARGV: 1 secret's SHA-256 (hex), 2 now ms, 3 rate per second, 4 burst,
--       5 bucket key prefix
-- Returns the serialised token. Under memory pressure (writes refused) the
-- call is let through uncharged.
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if not entry then
  return redis.error_reply('CONVENE UNAUTHENTICATED the bearer token is not known (revoked, or never issued)')
end
local bar1 = string.find(entry, '|', 1, true)
local bar2 = string.find(entry, '|', bar1 + 1, true)
local expire_ms = tonumber(string.sub(entry, 1, bar1 - 1))
local token_id = string.sub(entry, bar1 + 1, bar2 - 1)
local now = tonumber(ARGV[2])
if expire_ms <= now then
  return redis.error_reply('CONVENE UNAUTHENTICATED token ' .. token_id .. ' has expired')
end
local rate, burst = tonumber(ARGV[3]), tonumber(ARGV[4])
if rate > 0 then
  local bucket = ARGV[5] .. token_id
  local state = redis.call('HMGET', bucket, 'level', 'ms')
  local level = tonumber(state[1]) or burst
  local last = tonumber(state[2]) or now
  level = math.min(burst, level + (now - last) * rate / 1000)
  if level < 1 then
    return redis.error_reply('CONVENE RESOURCE_EXHAUSTED token ' .. token_id ..
      ' is over its rate limit of ' .. ARGV[3] .. ' calls per second; retry later')
  end
  -- When Redis refuses writes (maxmemory reached) the limiter steps aside
  -- rather than refusing every call, reads included: pcall, not call.
  local charged = redis.pcall('HSET', bucket, 'level', tostring(level - 1), 'ms', ARGV[2])
  if type(charged) ~= 'table' or not charged.err then
    redis.call('PEXPIRE', bucket, math.ceil(burst / rate * 1000) + 1000)
  end
end
return string.sub(entry, bar2 + 1)
