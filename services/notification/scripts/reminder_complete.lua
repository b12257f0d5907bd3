-- Completes claimed reminders: each one still leased to this owner becomes a
-- notification (unless one with its id exists: a retried completion sends
-- nothing twice), is appended to the outbox stream for the subscribers, and
-- leaves the reminder keys. A reminder whose lease passed to another owner
-- is left to that owner. A notification without a state entry is pending.
-- A lifecycle notice also records what it told the participant (told hash),
-- the state the next notice is measured against. Each completed key joins
-- its registration's sent set, so that no later re-plan adds it again.
-- KEYS: 1 leases zset, 2 lease owners hash, 3 records hash, 4 notifications
--       hash, 5 outbox stream, 6 outbox entry ids hash, 7 told hash
-- ARGV: 1-5 index key prefixes (keys::NotificationIndexPrefixes()), 6 owner
--       token, 7 now ms, 8 outbox max length, 9 sent sets' prefix
--       (ReminderShard::SentPrefix()), then per notification:
--       reminder key, notification id, event id, participant id, record,
--       told state ('' for a reminder)
-- Returns {completed, skipped}.
local pair_prefix, event_notifications, participant_notifications = ARGV[1], ARGV[4], ARGV[5]
local owner, now, maxlen, sent_prefix = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local FIRST = 10
local reminder_keys = {}
local STEP = 6
for i = FIRST, #ARGV, STEP do reminder_keys[#reminder_keys + 1] = ARGV[i] end
if #reminder_keys == 0 then return {0, 0} end
local owners = redis.call('HMGET', KEYS[2], unpack(reminder_keys))

local completed, skipped = 0, 0
local done, entries, by_event, by_pair = {}, {}, {}, {}
for n = 1, #reminder_keys do
  local i = FIRST + (n - 1) * STEP
  local key, nid, event, participant = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
  if owners[n] ~= owner then
    skipped = skipped + 1
  else
    if ARGV[i + 5] ~= '' then redis.call('HSET', KEYS[7], event .. '/' .. participant, ARGV[i + 5]) end
    if redis.call('HSETNX', KEYS[4], nid, ARGV[i + 4]) == 1 then
      local entry = redis.call('XADD', KEYS[5], 'MAXLEN', '~', maxlen, '*', 'n', nid, 'e', event)
      entries[#entries + 1] = nid
      entries[#entries + 1] = entry
      local list = by_event[event]
      if not list then list = {}; by_event[event] = list end
      list[#list + 1] = now
      list[#list + 1] = nid
      redis.call('SADD', participant_notifications .. participant, nid)
    end
    done[#done + 1] = key
    local pair = event .. '/' .. participant
    local members = by_pair[pair]
    if not members then members = {}; by_pair[pair] = members end
    members[#members + 1] = key
    completed = completed + 1
  end
end
if #entries > 0 then redis.call('HSET', KEYS[6], unpack(entries)) end
for event, list in pairs(by_event) do
  redis.call('ZADD', event_notifications .. event, unpack(list))
end
if #done > 0 then
  redis.call('ZREM', KEYS[1], unpack(done))
  redis.call('HDEL', KEYS[2], unpack(done))
  redis.call('HDEL', KEYS[3], unpack(done))
end
for pair, members in pairs(by_pair) do
  redis.call('SREM', pair_prefix .. pair, unpack(members))
  redis.call('SADD', sent_prefix .. pair, unpack(members))
end
return {completed, skipped}
