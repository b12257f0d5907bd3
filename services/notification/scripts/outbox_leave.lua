-- A subscription's stream has ended: drops the consumers of its group that
-- hold nothing. Each stream reads as a consumer of its own name, so without
-- this every stream ever opened would stay in Redis. A consumer still
-- holding unacknowledged entries stays: deleting it would drop them from
-- the group's pending list, and they would never be delivered again; once
-- another stream has claimed them it holds nothing and goes the next time.
-- One whose stream is still open loses nothing either: its next read makes
-- it again. In one script, so that nothing is read between the look and
-- the delete.
-- KEYS: 1 outbox stream
-- ARGV: 1 consumer group
-- Returns the number of consumers dropped.
local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', KEYS[1], ARGV[1])
if not ok then return 0 end
local dropped = 0
for _, c in ipairs(consumers) do
  local name, pending = nil, nil
  for i = 1, #c, 2 do
    if c[i] == 'name' then name = c[i + 1] end
    if c[i] == 'pending' then pending = c[i + 1] end
  end
  if name and pending == 0 then
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], name)
    dropped = dropped + 1
  end
end
return dropped
