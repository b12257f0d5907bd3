-- The records of pending reminders: of one registration (event and
-- participant given), of an event, or of a participant. Claimed ones that
-- are still being dispatched are included. At most ARGV[4] records.
-- KEYS: 1 records hash
-- ARGV: 1 {ntf} key prefix, 2 event id or '', 3 participant id or '', 4 max
local prefix, event, participant = ARGV[1], ARGV[2], ARGV[3]
local max = tonumber(ARGV[4])
local pairs_wanted = {}
if event ~= '' and participant ~= '' then
  pairs_wanted[1] = event .. '/' .. participant
elseif event ~= '' then
  for _, p in ipairs(redis.call('SMEMBERS', prefix .. 'event-participants:' .. event)) do
    pairs_wanted[#pairs_wanted + 1] = event .. '/' .. p
  end
else
  for _, e in ipairs(redis.call('SMEMBERS', prefix .. 'participant-events:' .. participant)) do
    pairs_wanted[#pairs_wanted + 1] = e .. '/' .. participant
  end
end
local out = {}
for _, pair in ipairs(pairs_wanted) do
  local members = redis.call('SMEMBERS', prefix .. 'pair:' .. pair)
  if #members > 0 then
    for _, record in ipairs(redis.call('HMGET', KEYS[1], unpack(members))) do
      if record then out[#out + 1] = record end
      if #out >= max then return out end
    end
  end
end
return out
