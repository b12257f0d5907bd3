-- Appends entries of the calendar and attendance streams to the change feed
-- across services, each source entry at most once.
--
-- KEYS[1] the feed stream (cv:{feed}:changes)
-- KEYS[2] hash: source stream key -> newest source entry id relayed
-- KEYS[3] the feed's epoch (stream_lib.lua is joined in front)
-- KEYS[4] hash: what participant entries leave out (keys.h ChangeFeedPeople)
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
-- that mark existed set "<person>|forgotten"; it is looked at only when a
-- person's field is new.
local ERASED = ''
local person, person_id, reason, reason_of, forgotten
local function keep_person()
  if forgotten == '1' then
    local listed = redis.call('HGET', KEYS[4], person .. '|r')
    local gone = { person .. '|r' }
    for sid in string.gmatch(listed or '', '%S+') do gone[#gone + 1] = person .. '|' .. sid end
    redis.call('HDEL', KEYS[4], unpack(gone))
    redis.call('HSET', KEYS[4], person, ERASED)
    return
  end
  -- Nothing is recorded again for someone erased: their earlier entries
  -- stay anonymous.
  if redis.call('HSETNX', KEYS[4], person, person_id) == 1 then
    if redis.call('HEXISTS', KEYS[4], person .. '|forgotten') == 1 then
      redis.call('HSET', KEYS[4], person, ERASED)
      return
    end
  elseif reason ~= '' and redis.call('HGET', KEYS[4], person) == ERASED then
    return
  end
  if reason ~= '' then
    local listed = redis.call('HGET', KEYS[4], person .. '|r')
    redis.call('HSET', KEYS[4], person .. '|' .. reason_of, reason,
      person .. '|r', listed and (listed .. ' ' .. reason_of) or reason_of)
  end
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
    if n > 0 then
      local added = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
        'src', source, 'sid', id, unpack(ARGV, first, last))
      if appended == 0 then stamp_epoch(KEYS[3], added, source .. '|' .. id) end
      appended = appended + 1
    end
    if person ~= '' then keep_person() end
    newest[source] = id
  else
    newest[source] = seen
  end
end
for source, id in pairs(newest) do redis.call('HSET', KEYS[2], source, id) end
return appended
