-- Appends entries of the calendar and attendance streams to the change feed
-- across services, each source entry at most once.
--
-- KEYS[1] the feed stream (cv:{feed}:changes)
-- KEYS[2] hash: source stream key -> newest source entry id relayed
-- KEYS[3] the feed's epoch (stream_lib.lua is joined in front)
-- KEYS[4] hash: what participant entries leave out (keys.h ChangeFeedPeople)
-- KEYS[5] sorted set: which feed entry last needed each field of KEYS[4]
--         (keys.h ChangeFeedPeopleAge)
-- KEYS[6] how far KEYS[5] indexes the fields an earlier release kept
--         (keys.h ChangeFeedPeopleBackfill)
-- ARGV[1] approximate MAXLEN of the feed
-- ARGV[2..] per entry: source stream key, source entry id, field count n,
--           then n field/value pairs; n = 0 moves the record past an entry
--           the feed does not publish, appending nothing; then the person
--           ("<event>|<pseudonym>"), their id, a reason, the source entry
--           it belongs to (""; this one) and "1" when the entry erases the
--           person ("" each when none)
--
-- A source entry is appended only when its id is after the one recorded for
-- its stream, and the record moves in the same script: a relay that crashed
-- after this script ran, or two relays that both read the same batch (a
-- lease handed over mid-batch), append nothing twice.
-- Returns the number of entries appended.
--
-- What is kept beside the feed lasts as long as the feed entries that need
-- it: the organiser's free text about a person has no purpose once no entry
-- it belongs to can be read, and the hash would otherwise hold every
-- participant of every event for the life of the deployment. Each field is
-- indexed (KEYS[5]) by the feed entry that last needed it, at O(log N) per
-- entry, and each call drops a bounded number of fields whose entry the
-- feed has trimmed. An erased person's mark stays: they may still check in
-- or cancel (their registration remains in attendance), and without it the
-- relay would record their id again.

local function before(a, b)
  local ams, aseq = string.match(a, '^(%d+)-(%d+)$')
  local bms, bseq = string.match(b, '^(%d+)-(%d+)$')
  ams, aseq, bms, bseq = tonumber(ams), tonumber(aseq), tonumber(bms), tonumber(bseq)
  if ams ~= bms then return ams < bms end
  return aseq < bseq
end

-- Keeps what a participant's entry leaves out, or erases it all: person
-- ("<event>|<pseudonym>"), person_id, reason, reason_of (the source entry
-- the reason belongs to) and forgotten are set per entry below.
-- An erased person's own field holds ERASED (no participant id is empty),
-- so recording someone already known is one HSETNX that changes nothing:
-- most entries are of people the feed has seen. Erasures recorded before
-- that mark existed set "<person>|forgotten"; backfill() below turns each
-- into the mark, and until it has been through the hash that field is
-- looked at when a person's field is new (a registration's first entry).
local ERASED = ''
-- How far backfill() has come ("done" once through), read once per call.
local backfill_cursor = redis.call('GET', KEYS[6])
-- A feed entry id as a score that orders like it: exact while a
-- millisecond holds fewer than 1000 entries, and past that later entries
-- share one, which only keeps a field a little longer. Built as text: a
-- Lua number would print rounded.
local function score(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms .. string.format('%03d', math.min(tonumber(seq), 999))
end
-- The feed's newest entry, read once per call when nothing was appended yet.
local feed_newest
local function newest_feed_entry()
  if feed_newest == nil then
    local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
    feed_newest = last and last[1] or '0-0'
  end
  return feed_newest
end

-- `added`: the feed entry appended for this source entry, nil when none
-- (a note: its reason belongs to a change of the person relayed before).
local person, person_id, reason, reason_of, forgotten
local function keep_person(added)
  if forgotten == '1' then
    local listed = redis.call('HGET', KEYS[4], person .. '|r')
    local gone, indexed = { person .. '|r' }, { person }
    for sid in string.gmatch(listed or '', '%S+') do
      gone[#gone + 1] = person .. '|' .. sid
      indexed[#indexed + 1] = person .. '|' .. sid
    end
    redis.call('HDEL', KEYS[4], unpack(gone))
    redis.call('ZREM', KEYS[5], unpack(indexed))
    redis.call('HSET', KEYS[4], person, ERASED)
    return
  end
  -- Nothing is recorded again for someone erased: their earlier entries
  -- stay anonymous.
  if redis.call('HSETNX', KEYS[4], person, person_id) == 1 then
    if backfill_cursor ~= 'done' and
       redis.call('HEXISTS', KEYS[4], person .. '|forgotten') == 1 then
      redis.call('HSET', KEYS[4], person, ERASED)
      return
    end
  elseif reason ~= '' and redis.call('HGET', KEYS[4], person) == ERASED then
    return
  end
  -- An erased person indexed here costs the sweep one look, which is
  -- cheaper than reading the mark for every entry.
  local at
  if added then
    at = score(added)
    redis.call('ZADD', KEYS[5], at, person)
  else
    redis.call('ZADD', KEYS[5], 'NX', score(newest_feed_entry()), person)
  end
  if reason ~= '' then
    local listed = redis.call('HGET', KEYS[4], person .. '|r')
    redis.call('HSET', KEYS[4], person .. '|' .. reason_of, reason,
      person .. '|r', listed and (listed .. ' ' .. reason_of) or reason_of)
    -- A note's change was the person's newest entry when it was relayed
    -- (the note follows it in the same script of attendance).
    if not at then at = redis.call('ZSCORE', KEYS[5], person) end
    redis.call('ZADD', KEYS[5], at, person .. '|' .. reason_of)
  end
end

-- Indexes, a bounded slice per call, the fields kept by a release before
-- the index existed, as needed by the feed's newest entry: they go once
-- everything the feed holds now has been trimmed.
local BACKFILL_SLICE = 100
local function backfill()
  local cursor = backfill_cursor
  if cursor == 'done' then return end
  local scanned = redis.call('HSCAN', KEYS[4], cursor or '0', 'COUNT', BACKFILL_SLICE)
  local at = score(newest_feed_entry())
  local kv = scanned[2]
  for k = 1, #kv, 2 do
    local field, value = kv[k], kv[k + 1]
    local erased = string.match(field, '^([^|]+|[^|]+)|forgotten$')
    if erased then
      -- An earlier release's erasure: the person's own field becomes the
      -- mark (its id was deleted then), so keep_person need not look.
      redis.call('HSET', KEYS[4], erased, ERASED)
      redis.call('HDEL', KEYS[4], field)
      redis.call('ZREM', KEYS[5], erased)
    elseif (string.match(field, '^[^|]+|[^|]+$') and value ~= ERASED)
        or string.match(field, '^[^|]+|[^|]+|%d+%-%d+$') then
      redis.call('ZADD', KEYS[5], 'NX', at, field)
    end
  end
  redis.call('SET', KEYS[6], scanned[1] == '0' and 'done' or scanned[1])
end

-- Drops fields needed only by entries older than the feed's first. A call
-- appends at most 500 entries, each indexing at most two fields, so a
-- sweep of 1000 keeps up and bounds the script's work.
local SWEEP = 1000
local function sweep()
  local first = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
  if not first then return end
  local expired = redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', '(' .. score(first[1]),
    'LIMIT', 0, SWEEP)
  if #expired == 0 then return end
  -- Reasons dropped, by person: each person's list is rewritten once.
  local dropped, whose = {}, {}
  for _, field in ipairs(expired) do
    local of, sid = string.match(field, '^([^|]+|[^|]+)|(.+)$')
    if sid then
      redis.call('HDEL', KEYS[4], field)
      if not dropped[of] then
        dropped[of] = {}
        whose[#whose + 1] = of
      end
      dropped[of][sid] = true
    elseif redis.call('HGET', KEYS[4], field) ~= ERASED then
      -- None of the person's entries remains, so neither do their changes.
      local listed = redis.call('HGET', KEYS[4], field .. '|r')
      local gone, reasons = { field, field .. '|r' }, {}
      for s in string.gmatch(listed or '', '%S+') do
        gone[#gone + 1] = field .. '|' .. s
        reasons[#reasons + 1] = field .. '|' .. s
      end
      redis.call('HDEL', KEYS[4], unpack(gone))
      if #reasons > 0 then redis.call('ZREM', KEYS[5], unpack(reasons)) end
    end
  end
  for _, of in ipairs(whose) do
    local listed = redis.call('HGET', KEYS[4], of .. '|r')
    if listed then
      local rest = {}
      for s in string.gmatch(listed, '%S+') do
        if not dropped[of][s] then rest[#rest + 1] = s end
      end
      if #rest == 0 then
        redis.call('HDEL', KEYS[4], of .. '|r')
      else
        redis.call('HSET', KEYS[4], of .. '|r', table.concat(rest, ' '))
      end
    end
  end
  redis.call('ZREM', KEYS[5], unpack(expired))
end

local newest = {}
local appended = 0
local i = 2
while i <= #ARGV do
  local source, id, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local first, last = i + 3, i + 2 + 2 * n
  person, person_id, reason, reason_of, forgotten =
    ARGV[last + 1], ARGV[last + 2], ARGV[last + 3], ARGV[last + 4], ARGV[last + 5]
  if reason_of == '' then reason_of = id end
  i = last + 6
  local seen = newest[source]
  if seen == nil then seen = redis.call('HGET', KEYS[2], source) or '0-0' end
  if before(seen, id) then
    local added
    if n > 0 then
      added = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
        'src', source, 'sid', id, unpack(ARGV, first, last))
      if appended == 0 then stamp_epoch(KEYS[3], added, source .. '|' .. id) end
      appended = appended + 1
      feed_newest = added
    end
    if person ~= '' then keep_person(added) end
    newest[source] = id
  else
    newest[source] = seen
  end
end
for source, id in pairs(newest) do redis.call('HSET', KEYS[2], source, id) end
-- The feed is trimmed only by an append.
if appended > 0 then
  backfill()
  sweep()
end
return appended
