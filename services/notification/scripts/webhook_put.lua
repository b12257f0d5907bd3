-- Stores a new webhook unless there are enough: every webhook is tried for
-- every notification it matches, so their number is bounded overall and
-- per event (an admin scoped to one event could otherwise point any number
-- at one dead address). The events of each webhook are kept beside it to
-- count them; in one script so that two creations cannot both take the
-- last place.
-- KEYS: 1 webhooks hash (id -> record), 2 hash id -> its event ids, comma-joined
-- ARGV: 1 id, 2 record, 3 most webhooks, 4 most webhooks per event,
--       5.. the webhook's event ids (none: every event)
local most = tonumber(ARGV[3])
local total = redis.call('HLEN', KEYS[1])
if total >= most then
  return redis.error_reply('CONVENE RESOURCE_EXHAUSTED webhook: ' .. total ..
    ' webhooks exist, the most this service keeps; delete one first')
end
if #ARGV > 4 then
  local per_event = tonumber(ARGV[4])
  local counts = {}
  for _, joined in ipairs(redis.call('HVALS', KEYS[2])) do
    for id in string.gmatch(joined, '[^,]+') do counts[id] = (counts[id] or 0) + 1 end
  end
  local ids = {}
  for i = 5, #ARGV do
    if (counts[ARGV[i]] or 0) >= per_event then
      return redis.error_reply('CONVENE RESOURCE_EXHAUSTED webhook.event_ids[' .. (i - 5) ..
        ']: event ' .. ARGV[i] .. ' has ' .. counts[ARGV[i]] ..
        ' webhooks already, the most for one event; delete one first')
    end
    ids[#ids + 1] = ARGV[i]
  end
  redis.call('HSET', KEYS[2], ARGV[1], table.concat(ids, ','))
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
