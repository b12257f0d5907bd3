-- A subscription's stream joins (or keeps) its consumer group on one
-- outbox. Subscriber groups are bounded: every group ever named would
-- otherwise stay forever, each new one reading from the oldest kept
-- notification and each making AckNotification (which walks the groups)
-- slower. So each subscriber group's last sign of life is kept beside the
-- outbox; one silent for ARGV[3] ms is destroyed (with its pending
-- entries: nobody reads them), and a new group beyond ARGV[4] is refused.
-- The service's own groups (ARGV[5..]) are neither counted nor expired.
-- In one script, so that two streams cannot both take the last place.
-- KEYS: 1 outbox stream, 2 hash group -> last seen (ms)
-- ARGV: 1 group, 2 now (ms), 3 idle limit (ms), 4 most subscriber groups,
--       5.. the service's own groups
-- Returns 1 when the group was made now, 0 when it existed.
local own = {}
for i = 5, #ARGV do own[ARGV[i]] = true end
local now = tonumber(ARGV[2])
local ok, groups = pcall(redis.call, 'XINFO', 'GROUPS', KEYS[1])
if not ok then groups = {} end
local exists, count = false, 0
for _, g in ipairs(groups) do
  local name = nil
  for i = 1, #g, 2 do
    if g[i] == 'name' then name = g[i + 1] end
  end
  if name == ARGV[1] then
    exists = true
  elseif name and not own[name] then
    local seen = tonumber(redis.call('HGET', KEYS[2], name))
    if not seen then
      -- A group from before this rule: its clock starts now.
      redis.call('HSET', KEYS[2], name, now)
      count = count + 1
    elseif now - seen > tonumber(ARGV[3]) then
      redis.call('XGROUP', 'DESTROY', KEYS[1], name)
      redis.call('HDEL', KEYS[2], name)
    else
      count = count + 1
    end
  end
end
if exists then
  redis.call('HSET', KEYS[2], ARGV[1], now)
  return 0
end
if count >= tonumber(ARGV[4]) then
  return redis.error_reply('CONVENE RESOURCE_EXHAUSTED subscriber: ' .. count ..
    ' subscriber groups exist, the most this service keeps; use a name already in use, ' ..
    'or wait until a group unused for ' .. math.floor(tonumber(ARGV[3]) / 1000) ..
    ' s is removed')
end
redis.call('XGROUP', 'CREATE', KEYS[1], ARGV[1], '0', 'MKSTREAM')
redis.call('HSET', KEYS[2], ARGV[1], now)
return 1
