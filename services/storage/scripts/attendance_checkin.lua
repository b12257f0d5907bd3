-- Records that a participant is present for a day or a session, in a mode.
-- Counted once per (participant, day or session, mode): a repeated scan or
-- rejoin returns the first record (with its join count raised). Walk-ins
-- get a registration when the event allows them and the room has a seat.
-- One round trip, all or nothing.
--
-- KEYS: 1 sheet, 2 registration index, 3 counters, 4 check-ins hash,
--       5 requests, 6 changes stream, 7 this participant's registration
-- ARGV: 1 request id, 2 participant id, 3 day ("" with a session),
--       4 session id ("" for a day), 5 mode, 6 source, 7 occurred (ms),
--       8 presence set prefix (+ "<date>:<mode>"), 9 stream max length,
--       10 counts channel, 11.. walk-in participant fields (name, value ...)
-- Returns { record ("mode|source|first_ms|joins|last_leave_ms|walk_in"),
--           duplicate (0/1), day }.
local sheet_key, index_key, counts_key, checkins_key, requests_key, changes_key, reg_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local request_id, pid, day, session, mode, source, at =
  ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]

local sheet = redis.call('HGETALL', sheet_key)
if #sheet == 0 then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
local s = {}
for i = 1, #sheet, 2 do s[sheet[i]] = sheet[i + 1] end

local offered = s.format
if session ~= '' then
  local found = false
  for sid, date, format in string.gmatch(s.sessions, '([^@,]+)@([^@,]+)@([^@,]+)') do
    if sid == session then found, day, offered = true, date, format end
  end
  if not found then
    return redis.error_reply('CONVENE NOT_FOUND session_id: ' .. session ..
      ' is not a session of the event')
  end
else
  if not string.find(',' .. s.days .. ',', ',' .. day .. ',', 1, true) then
    return redis.error_reply('CONVENE INVALID_ARGUMENT day: ' .. day ..
      ' is not a day of the event (' .. s.days .. ')')
  end
end
local scope = (session ~= '' and ('session:' .. session) or ('day:' .. day))
local key = scope .. ':' .. mode .. ':' .. pid

local done = redis.call('HGET', requests_key, request_id)
local existing = redis.call('HGET', checkins_key, key)
if done and existing then return { existing, 1, day } end
if s.cancelled == '1' then
  return redis.error_reply('CONVENE FAILED_PRECONDITION the event is cancelled')
end
if not (offered == 'hybrid' or offered == mode) then
  return redis.error_reply('CONVENE FAILED_PRECONDITION mode: ' ..
    (session ~= '' and ('session ' .. session) or 'the event') .. ' is ' ..
    offered .. ' only; no ' .. mode .. ' check-in')
end

if existing then
  -- Counted already: raise the join count, keep the first record.
  local m, src, first, joins, left, walk = string.match(existing,
    '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  local record = table.concat({ m, src, first, tonumber(joins) + 1, left, walk }, '|')
  redis.call('HSET', checkins_key, key, record)
  redis.call('HSET', requests_key, request_id, pid)
  return { record, 1, day }
end

-- Who may be present: confirmed that day; in the room only in the mode they
-- hold a seat in (online joins are open to in-person registrants too).
local walk_in = '0'
local reg = redis.call('HMGET', reg_key, 'days', 'city', 'organisation')
local held = nil
for date, m, status in string.gmatch(reg[1] or '', '([^=;]+)=([^=;]+)=([^=;]+)') do
  if date == day and status == 'confirmed' then held = m end
end
if held == nil or (mode == 'in_person' and held ~= 'in_person') then
  local cap = tonumber(s.in_person_capacity)
  local taken = tonumber(redis.call('HGET', counts_key, 'reg:' .. day .. ':in_person') or '0')
  if held == nil and mode == 'in_person' and s.walk_ins == '1' and
     (cap == 0 or taken < cap) and #ARGV > 10 and not reg[1] then
    walk_in = '1'
    redis.call('HSET', reg_key, 'days', day .. '=in_person=confirmed',
      'status', 'confirmed', 'revision', 1, 'create_ms', at, 'update_ms', at,
      'walk_in', '1', unpack(ARGV, 11))
    redis.call('ZADD', index_key, redis.call('HINCRBY', counts_key, 'seq', 1), pid)
    local fields = {}
    for i = 11, #ARGV, 2 do fields[ARGV[i]] = ARGV[i + 1] end
    reg[2], reg[3] = fields.city or '', fields.organisation or ''
    redis.call('HINCRBY', counts_key, 'reg:' .. day .. ':in_person', 1)
    redis.call('HINCRBY', counts_key, 'walkin:' .. day, 1)
    redis.call('HINCRBY', counts_key, 'registrations', 1)
  elseif held ~= nil then
    return redis.error_reply('CONVENE FAILED_PRECONDITION ' .. pid ..
      ' holds an online place on ' .. day .. ', not a seat in the room')
  else
    return redis.error_reply('CONVENE FAILED_PRECONDITION ' .. pid ..
      ' is not registered (confirmed) for ' .. day ..
      (s.walk_ins == '1' and ' and the room is full or no walk-in details were given' or
       ' and the event takes no walk-ins'))
  end
end

local record = table.concat({ mode, source, at, 1, '', walk_in }, '|')
redis.call('HSET', checkins_key, key, record)
local city, org = reg[2] or '', reg[3] or ''
redis.call('HINCRBY', counts_key, 'in:' .. scope .. ':' .. mode, 1)
redis.call('HINCRBY', counts_key, 'city:' .. city .. ':in:' .. scope .. ':' .. mode, 1)
redis.call('HINCRBY', counts_key, 'org:' .. org .. ':in:' .. scope .. ':' .. mode, 1)
redis.call('SADD', ARGV[8] .. scope .. ':' .. mode, pid)
if mode == 'online' then
  local earliest = tonumber(redis.call('HGET', counts_key, 'join:' .. scope) or '0')
  if earliest == 0 or tonumber(at) < earliest then
    redis.call('HSET', counts_key, 'join:' .. scope, at)
  end
end
-- Present at a session is present that day, for the daily headcount.
if session ~= '' then redis.call('SADD', ARGV[8] .. 'day:' .. day .. ':' .. mode, pid) end
redis.call('HINCRBY', counts_key, 'version', 1)
redis.call('HSET', requests_key, request_id, pid)
redis.call('XADD', changes_key, 'MAXLEN', '~', ARGV[9], '*',
  'kind', 'checked_in', 'participant', pid, 'scope', scope, 'mode', mode,
  'source', source, 'walk_in', walk_in)
redis.call('PUBLISH', ARGV[10], scope)
return { record, 0, day }
