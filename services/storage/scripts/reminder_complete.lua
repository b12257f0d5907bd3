-- Completes claimed reminders: each one still leased to this owner becomes a
-- notification (unless one with its id exists: a retried completion sends
-- nothing twice), is appended to the outbox stream for the subscribers, and
-- leaves the reminder keys. A reminder whose lease passed to another owner
-- is left to that owner.
-- KEYS: 1 leases zset, 2 lease owners hash, 3 records hash, 4 notifications
--       hash, 5 notification states hash, 6 outbox stream, 7 outbox entry
--       ids hash
-- ARGV: 1 owner token, 2 now ms, 3 outbox max length, 4 key prefix of the
--       per-event and per-participant indexes, then per notification:
--       reminder key, notification id, event id, participant id, record
-- Returns {completed, skipped}.
local completed, skipped = 0, 0
for i = 5, #ARGV, 5 do
  local key, nid, event, participant = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if redis.call('HGET', KEYS[2], key) ~= ARGV[1] then
    skipped = skipped + 1
  else
    if redis.call('HSETNX', KEYS[4], nid, ARGV[i + 4]) == 1 then
      redis.call('HSET', KEYS[5], nid, 'pending|0|')
      redis.call('ZADD', ARGV[4] .. 'event-notifications:' .. event, ARGV[2], nid)
      redis.call('SADD', ARGV[4] .. 'participant-notifications:' .. participant, nid)
      local entry = redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[3], '*',
        'n', nid, 'e', event)
      redis.call('HSET', KEYS[7], nid, entry)
    end
    redis.call('ZREM', KEYS[1], key)
    redis.call('HDEL', KEYS[2], key)
    redis.call('HDEL', KEYS[3], key)
    local pair = string.match(key, '^(.*)/[^/]*$')
    redis.call('SREM', ARGV[4] .. 'pair:' .. pair, key)
    completed = completed + 1
  end
end
return {completed, skipped}
