-- The records of pending reminders: of one registration (event and
-- participant given), of an event, or of a participant. Claimed ones that
-- are still being dispatched are included. At most ARGV[4] records.
-- KEYS: 1 records hash
-- ARGV: 1-5 index key prefixes (keys::NotificationIndexPrefixes()), 6 event
--       id or '', 7 participant id or '', 8 max
local pair_prefix, event_participants, participant_events = ARGV[1], ARGV[2], ARGV[3]
local event, participant = ARGV[6], ARGV[7]
local max = tonumber(ARGV[8])
local pairs_wanted = {}
if event ~= '' and participant ~= '' then
  pairs_wanted[1] = event .. '/' .. participant
elseif event ~= '' then
  for _, p in ipairs(redis.call('SMEMBERS', event_participants .. event)) do
    pairs_wanted[#pairs_wanted + 1] = event .. '/' .. p
  end
else
  for _, e in ipairs(redis.call('SMEMBERS', participant_events .. participant)) do
    pairs_wanted[#pairs_wanted + 1] = e .. '/' .. participant
  end
end
local out = {}
for _, pair in ipairs(pairs_wanted) do
  local members = redis.call('SMEMBERS', pair_prefix .. pair)
  if #members > 0 then
    for _, record in ipairs(redis.call('HMGET', KEYS[1], unpack(members))) do
      if record then out[#out + 1] = record end
      if #out >= max then return out end
    end
  end
end
return out
