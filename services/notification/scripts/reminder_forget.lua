-- Erases a participant from the reminder stores: their pending reminders
-- (rendered texts with their name and address), which ones were sent, and
-- their notifications' texts and outbox entries, for one event or all of
-- them. What stays is the count of what was removed; nothing of theirs is
-- kept.
-- KEYS: 1 due zset, 2 records hash, 3 leases zset, 4 lease owners hash,
--       5 notifications hash, 6 notification states hash, 7 outbox stream,
--       8 outbox entry ids hash, 9 mail states hash, 10 told hash
-- ARGV: 1-5 index key prefixes (keys::NotificationIndexPrefixes(): pair,
--       event participants, participant events, event notifications,
--       participant notifications), 6 participant id, 7 event id or '' (all),
--       8 sent sets' prefix (ReminderShard::SentPrefix())
-- Returns {reminders removed, notifications erased}.
local P = { pair = ARGV[1], event_participants = ARGV[2], participant_events = ARGV[3],
            event_notifications = ARGV[4], participant_notifications = ARGV[5] }
local pid, only, sent_prefix = ARGV[6], ARGV[7], ARGV[8]
local events_key = P.participant_events .. pid
local events = only ~= '' and {only} or redis.call('SMEMBERS', events_key)
local reminders = 0
for _, event in ipairs(events) do
  local pair = P.pair .. event .. '/' .. pid
  for _, key in ipairs(redis.call('SMEMBERS', pair)) do
    redis.call('ZREM', KEYS[1], key)
    reminders = reminders + redis.call('HDEL', KEYS[2], key)
    redis.call('ZREM', KEYS[3], key)
    redis.call('HDEL', KEYS[4], key)
  end
  redis.call('DEL', pair)
  redis.call('DEL', sent_prefix .. event .. '/' .. pid)
  redis.call('HDEL', KEYS[10], event .. '/' .. pid)
  redis.call('SREM', P.event_participants .. event, pid)
  redis.call('SREM', events_key, event)
end
local notes_key = P.participant_notifications .. pid
local erased = 0
for _, nid in ipairs(redis.call('SMEMBERS', notes_key)) do
  -- Notification ids start with "<event>/<participant>/".
  local event = string.match(nid, '^([^/]*)/')
  if only == '' or event == only then
    erased = erased + redis.call('HDEL', KEYS[5], nid)
    redis.call('HDEL', KEYS[6], nid)
    local entry = redis.call('HGET', KEYS[8], nid)
    if entry then redis.call('XDEL', KEYS[7], entry) end
    redis.call('HDEL', KEYS[8], nid)
    redis.call('HDEL', KEYS[9], nid)
    if event then redis.call('ZREM', P.event_notifications .. event, nid) end
    redis.call('SREM', notes_key, nid)
  end
end
return {reminders, erased}
