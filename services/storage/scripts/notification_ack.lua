-- Acknowledges one notification for one subscriber group: removes it from
-- the group's pending entries and marks it sent.
-- KEYS: 1 outbox stream, 2 outbox entry ids hash, 3 notification states hash
-- ARGV: 1 group (subscriber name), 2 notification id
-- Returns 1 when acknowledged now, 0 when it had been before.
local entry = redis.call('HGET', KEYS[2], ARGV[2])
if not entry then
  return redis.error_reply('CONVENE NOT_FOUND notification_id: ' .. ARGV[2] ..
    ' is not a notification')
end
local acked = redis.call('XACK', KEYS[1], ARGV[1], entry)
local state = redis.call('HGET', KEYS[3], ARGV[2]) or 'pending|0|'
local attempts = string.match(state, '^[^|]*|([^|]*)|') or '0'
if not string.find(state, '^failed') then
  redis.call('HSET', KEYS[3], ARGV[2], 'sent|' .. attempts .. '|')
end
return acked
