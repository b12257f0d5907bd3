-- One page of events overlapping a window, ordered by start, filtered.
--
-- KEYS: 1 docs hash (unused: see Returns), 2 attrs hash, 3 start index, 4 stats hash, 5 changes,
--       6 the changes stream's epoch
-- ARGV: 1 from ms ("" = none), 2 to ms ("" = none), 3 cursor start ms ("" =
--       first page), 4 cursor event id, 5 page size, 6 status, 7 format,
--       8 kind, 9 community, 10 city (lower case), 11 most index entries to
--       examine
-- Filters equal to "" match anything.
-- Returns: { next cursor start ms ("" = last page), next cursor id,
--            newest change id ("0-0" = none), the stream's epoch ("" =
--            none yet), event id... }: the page's ids, whose documents the
--            caller reads with one HMGET (Redis copies a document into the
--            reply directly; through Lua it would copy it twice)
local from = ARGV[1] ~= '' and tonumber(ARGV[1]) or nil
local to = ARGV[2] ~= '' and tonumber(ARGV[2]) or nil
local cursor_ms = ARGV[3] ~= '' and tonumber(ARGV[3]) or nil
local cursor_id = ARGV[4]
local page_size = tonumber(ARGV[5])
local want_status, want_format, want_kind = ARGV[6], ARGV[7], ARGV[8]
local want_community, want_city = ARGV[9], ARGV[10]
local budget = tonumber(ARGV[11])

-- Read in the same step as the page, so that following the feed from here
-- misses nothing that changed after the page was read.
local newest = redis.call('XREVRANGE', KEYS[5], '+', '-', 'COUNT', 1)
local sync = newest[1] and newest[1][1] or '0-0'
local epoch = redis.call('GET', KEYS[6]) or ''

-- An event overlapping [from, to) started at most max_duration before from.
local low = '-inf'
if from then
  local longest = tonumber(redis.call('HGET', KEYS[4], 'max_duration_ms') or '0')
  low = from - longest
end
if cursor_ms and (low == '-inf' or cursor_ms > low) then low = cursor_ms end
local high = to and ('(' .. to) or '+inf'

-- Each batch of the index costs one HMGET of its attributes: a page is a
-- handful of commands, not two per event.
local picked = {}
local last_ms, last_id = '', ''
local offset = 0
local batch = math.max(page_size * 2, 64)
local examined = 0
local exhausted = false
while #picked < page_size and examined < budget do
  local rows = redis.call('ZRANGE', KEYS[3], low, high, 'BYSCORE', 'LIMIT',
                          offset, batch, 'WITHSCORES')
  if #rows == 0 then
    exhausted = true
    break
  end
  offset = offset + #rows / 2
  -- Members with the cursor's score sort by id; skip those already served.
  local ids, scores = {}, {}
  for i = 1, #rows, 2 do
    local id, ms = rows[i], tonumber(rows[i + 1])
    if not (cursor_ms and ms == cursor_ms and id <= cursor_id) then
      ids[#ids + 1], scores[#scores + 1] = id, ms
    end
  end
  local attrs = #ids > 0 and redis.call('HMGET', KEYS[2], unpack(ids)) or {}
  for i, id in ipairs(ids) do
    examined = examined + 1
    local rev, s, e, status, format, kind, community, city =
      string.match(attrs[i], '^(%d+)|(-?%d+)|(-?%d+)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|(.*)$')
    e = tonumber(e)
    if (not from or e > from)
       and (want_status == '' or status == want_status)
       and (want_format == '' or format == want_format)
       and (want_kind == '' or kind == want_kind)
       and (want_community == '' or community == want_community)
       and (want_city == '' or string.lower(city) == want_city) then
      picked[#picked + 1] = id
    end
    last_ms, last_id = scores[i], id
    if #picked >= page_size or examined >= budget then break end
  end
end
if exhausted then return { '', '', sync, epoch, unpack(picked) } end
return { tostring(last_ms), last_id, sync, epoch, unpack(picked) }
