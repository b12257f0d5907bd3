-- Appends entries of the calendar and attendance streams to the change feed
-- across services, each source entry at most once.
--
-- KEYS[1] the feed stream (cv:{feed}:changes)
-- KEYS[2] hash: source stream key -> newest source entry id relayed
-- KEYS[3] the feed's epoch (stream_lib.lua is joined in front)
-- ARGV[1] approximate MAXLEN of the feed
-- ARGV[2..] per entry: source stream key, source entry id, field count n,
--           then n field/value pairs; n = 0 moves the record past an entry
--           the feed does not publish, appending nothing
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

local newest = {}
local appended = 0
local i = 2
while i <= #ARGV do
  local source, id, n = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
  local first, last = i + 3, i + 2 + 2 * n
  i = last + 1
  local seen = newest[source]
  if seen == nil then seen = redis.call('HGET', KEYS[2], source) or '0-0' end
  if before(seen, id) then
    if n > 0 then
      local added = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*',
        'src', source, 'sid', id, unpack(ARGV, first, last))
      if appended == 0 then stamp_epoch(KEYS[3], added, source .. '|' .. id) end
      appended = appended + 1
    end
    newest[source] = id
  else
    newest[source] = seen
  end
end
for source, id in pairs(newest) do redis.call('HSET', KEYS[2], source, id) end
return appended
