-- Writes one event of the calendar: document, filter attributes, start index
-- and change stream change together, or nothing.
--
-- KEYS: 1 docs hash, 2 attrs hash, 3 start index, 4 stats hash, 5 changes
--       stream, 6 create-request fingerprints hash, 7 the changes stream's
--       epoch (stream_lib.lua is joined in front)
-- ARGV: 1 mode ("create" | "update"), 2 event id, 3 expected revision (update;
--       "0" = any), 4 document, 5 attributes ("rev|start|end|status|format|
--       kind|community|city"), 6 start ms, 7 end ms, 8 change type
--       ("created" | "updated" | "cancelled"), 9 reason, 10 stream max length,
--       11 new revision, 12 create: the request's fingerprint
-- Returns: { created_or_updated (1) | existing (0), document, change id }
local mode, id = ARGV[1], ARGV[2]
local current = redis.call('HGET', KEYS[2], id)

if mode == 'create' then
  if current then
    -- A retry of a create that already happened: hand back what it made,
    -- unless the request id came with a different event this time.
    local made_by = redis.call('HGET', KEYS[6], id)
    if made_by and ARGV[12] ~= '' and made_by ~= ARGV[12] then
      return redis.error_reply('CONVENE INVALID_ARGUMENT request_id: already used for a ' ..
        'different event (' .. id .. '); a retry must repeat the request exactly, a new ' ..
        'event needs a new request_id')
    end
    return { 0, redis.call('HGET', KEYS[1], id), '' }
  end
  if ARGV[12] ~= '' then redis.call('HSET', KEYS[6], id, ARGV[12]) end
else
  if not current then
    return redis.error_reply('CONVENE NOT_FOUND event ' .. id .. ' not found')
  end
  local current_rev = tonumber(string.match(current, '^(%d+)|'))
  local expected = tonumber(ARGV[3])
  if expected ~= 0 and expected ~= current_rev then
    return redis.error_reply('CONVENE ABORTED event ' .. id .. ' is at revision ' ..
      current_rev .. ', not ' .. expected .. ': re-read it and retry')
  end
end

local start_ms, end_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('HSET', KEYS[1], id, ARGV[4])
redis.call('HSET', KEYS[2], id, ARGV[5])
redis.call('ZADD', KEYS[3], start_ms, id)
local longest = tonumber(redis.call('HGET', KEYS[4], 'max_duration_ms') or '0')
if end_ms - start_ms > longest then
  redis.call('HSET', KEYS[4], 'max_duration_ms', end_ms - start_ms)
end
local change = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[10], '*',
  'type', ARGV[8], 'event', id, 'revision', ARGV[11], 'reason', ARGV[9],
  'doc', ARGV[4])
stamp_epoch(KEYS[7], change, ARGV[4])
return { 1, ARGV[4], change }
