-- Acknowledges one notification for one subscriber: removes it from the
-- pending entries of the subscriber's consumer groups (its every-event
-- group, ARGV[1], and the groups of its filtered subscriptions,
-- ARGV[1] .. "/<filter hash>") and marks it sent.
-- KEYS: 1 outbox stream, 2 outbox entry ids hash, 3 notification states hash
-- ARGV: 1 subscriber name, 2 notification id
-- Returns 1 when acknowledged now, 0 when it had been before.
local entry = redis.call('HGET', KEYS[2], ARGV[2])
if not entry then
  return redis.error_reply('CONVENE NOT_FOUND notification_id: ' .. ARGV[2] ..
    ' is not a notification')
end
local acked = 0
local filtered = ARGV[1] .. '/'
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
for _, g in ipairs(ok and groups or {}) do
  local name = nil
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] end
  end
  if name == ARGV[1] or (name and string.sub(name, 1, #filtered) == filtered) then
    acked = acked + redis.call('XACK', KEYS[1], name, entry)
  end
end
local state = redis.call('HGET', KEYS[3], ARGV[2]) or 'pending|0|'
local attempts = string.match(state, '^[^|]*|([^|]*)|') or '0'
if not string.find(state, '^failed') then
  redis.call('HSET', KEYS[3], ARGV[2], 'sent|' .. attempts .. '|')
end
return acked > 0 and 1 or 0
