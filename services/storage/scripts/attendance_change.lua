-- Changes a registration: cancels some or all days ("cancel"), or moves
-- some or all days to another mode ("change_mode": in person <-> online).
-- Each freed seat goes at once to the head of that (day, mode)'s waitlist,
-- while the mode has room; a day moved to a full mode waits at the end of
-- its waitlist. Idempotent per request id. One round trip, all or nothing.
--
-- KEYS: 1 sheet, 2 registration index, 3 counters, 4 requests,
--       5 changes stream, 6 this participant's registration hash
-- ARGV: 1 request id, 2 participant id, 3 cancel: dates ("d1;d2"),
--       change_mode: "date=mode;..."; "" = every registered day,
--       4 now (ms), 5 waitlist key prefix, 6 registration key prefix
--       (+ participant id), 7 stream max length, 8 "cancel" | "change_mode",
--       9 change_mode: the mode for every day when ARGV[3] is ""
-- Returns the registration as attendance_get.lua does.
local sheet_key, counts_key, requests_key, changes_key, reg_key =
  KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local request_id, pid, now = ARGV[1], ARGV[2], ARGV[4]
local wait_prefix, reg_prefix, maxlen = ARGV[5], ARGV[6], ARGV[7]

local function parse(text)
  local days = {}
  for date, mode, status in string.gmatch(text, '([^=;]+)=([^=;]+)=([^=;]+)') do
    days[#days + 1] = { date = date, mode = mode, status = status }
  end
  return days
end

local function encode(days)
  local parts, all_cancelled, any_waiting = {}, true, false
  for _, d in ipairs(days) do
    parts[#parts + 1] = d.date .. '=' .. d.mode .. '=' .. d.status
    if d.status ~= 'cancelled' then all_cancelled = false end
    if d.status == 'waitlisted' then any_waiting = true end
  end
  local overall = all_cancelled and 'cancelled' or (any_waiting and 'waitlisted' or 'confirmed')
  return table.concat(parts, ';'), overall
end

local function reply()
  local fields = redis.call('HGETALL', reg_key)
  local out, days = {}, ''
  for i = 1, #fields, 2 do
    if fields[i] == 'days' then days = fields[i + 1] end
  end
  for _, d in ipairs(parse(days)) do
    local pos = 0
    if d.status == 'waitlisted' then
      local rank = redis.call('ZRANK', wait_prefix .. d.date .. ':' .. d.mode, pid)
      if rank then pos = rank + 1 end
    end
    out[#out + 1] = d.date .. '=' .. d.mode .. '=' .. d.status .. '=' .. pos
  end
  local result = { table.concat(out, ';') }
  for i = 1, #fields do result[#result + 1] = fields[i] end
  return result
end

if redis.call('HGET', requests_key, request_id) then return reply() end

local reg = redis.call('HMGET', reg_key, 'days', 'city', 'organisation', 'revision', 'status')
if not reg[1] then
  return redis.error_reply('CONVENE NOT_FOUND participant ' .. pid .. ' is not registered')
end
local capacity = {
  in_person = tonumber(redis.call('HGET', sheet_key, 'in_person_capacity') or '0'),
  online = tonumber(redis.call('HGET', sheet_key, 'online_capacity') or '0'),
}

local op = ARGV[8]
local days = parse(reg[1])
-- wanted[date] = the new mode (change_mode) or true (cancel)
local wanted = {}
if ARGV[3] == '' then
  for _, d in ipairs(days) do
    if d.status ~= 'cancelled' then wanted[d.date] = (op == 'cancel') or ARGV[9] end
  end
else
  if op == 'cancel' then
    for d in string.gmatch(ARGV[3], '[^;]+') do wanted[d] = true end
  else
    for d, m in string.gmatch(ARGV[3], '([^=;]+)=([^=;]+)') do wanted[d] = m end
  end
  for d in pairs(wanted) do
    local found = false
    for _, day in ipairs(days) do if day.date == d then found = true end end
    if not found then
      return redis.error_reply('CONVENE INVALID_ARGUMENT ' ..
        (op == 'cancel' and 'dates' or 'days') .. ': ' .. pid ..
        ' is not registered for ' .. d)
    end
  end
end

local function count(field, by, city, org)
  redis.call('HINCRBY', counts_key, field, by)
  if city then
    redis.call('HINCRBY', counts_key, 'city:' .. city .. ':' .. field, by)
    redis.call('HINCRBY', counts_key, 'org:' .. org .. ':' .. field, by)
  end
end

-- Moves heads of the (date, mode) waitlist to seats while there is room.
local function promote(date, mode)
  local slot = date .. ':' .. mode
  local cap = capacity[mode]
  while true do
    local taken = tonumber(redis.call('HGET', counts_key, 'reg:' .. slot) or '0')
    if cap ~= 0 and taken >= cap then return end
    local head = redis.call('ZPOPMIN', wait_prefix .. slot)
    if #head == 0 then return end
    local other = head[1]
    local other_key = reg_prefix .. other
    local o = redis.call('HMGET', other_key, 'days', 'city', 'organisation', 'revision')
    local odays = parse(o[1] or '')
    for _, d in ipairs(odays) do
      if d.date == date and d.mode == mode and d.status == 'waitlisted' then
        d.status = 'confirmed'
      end
    end
    local text, overall = encode(odays)
    local revision = tonumber(o[4] or '0') + 1
    redis.call('HSET', other_key, 'days', text, 'status', overall,
      'revision', revision, 'update_ms', now)
    count('wait:' .. slot, -1)
    count('reg:' .. slot, 1, o[2] or '', o[3] or '')
    redis.call('XADD', changes_key, 'MAXLEN', '~', maxlen, '*',
      'kind', 'registration_promoted', 'participant', other, 'date', date,
      'mode', mode, 'revision', revision)
  end
end

local offers = {}
local format = redis.call('HGET', sheet_key, 'format') or ''
offers.in_person = (format == 'in_person' or format == 'hybrid')
offers.online = (format == 'online' or format == 'hybrid')
if op == 'change_mode' then
  if redis.call('HGET', sheet_key, 'cancelled') == '1' then
    return redis.error_reply('CONVENE FAILED_PRECONDITION the event is cancelled')
  end
  for date, m in pairs(wanted) do
    if not offers[m] then
      return redis.error_reply('CONVENE FAILED_PRECONDITION mode: the event does not offer ' ..
        m .. ' attendance')
    end
  end
  for _, d in ipairs(days) do
    if wanted[d.date] and d.status == 'cancelled' then
      return redis.error_reply('CONVENE FAILED_PRECONDITION ' .. d.date ..
        ' is cancelled; register again for it')
    end
  end
end

local freed = {}
local kind = op == 'cancel' and 'registration_cancelled' or 'registration_mode_changed'
for _, d in ipairs(days) do
  local target = wanted[d.date]
  local moving = target and d.status ~= 'cancelled' and
    (op == 'cancel' or target ~= d.mode)
  if moving then
    local slot = d.date .. ':' .. d.mode
    if d.status == 'confirmed' then
      count('reg:' .. slot, -1, reg[2] or '', reg[3] or '')
      freed[#freed + 1] = { date = d.date, mode = d.mode }
    else
      redis.call('ZREM', wait_prefix .. slot, pid)
      count('wait:' .. slot, -1)
    end
    if op == 'cancel' then
      d.status = 'cancelled'
    else
      -- The new mode: a seat if it has room, else the end of its waitlist.
      d.mode = target
      local new_slot = d.date .. ':' .. d.mode
      local taken = tonumber(redis.call('HGET', counts_key, 'reg:' .. new_slot) or '0')
      local cap = capacity[d.mode]
      if cap == 0 or taken < cap then
        d.status = 'confirmed'
        count('reg:' .. new_slot, 1, reg[2] or '', reg[3] or '')
      else
        d.status = 'waitlisted'
        redis.call('ZADD', wait_prefix .. new_slot, redis.call('HINCRBY', counts_key, 'seq', 1), pid)
        count('wait:' .. new_slot, 1)
      end
    end
  end
end
local text, overall = encode(days)
local revision = tonumber(reg[4] or '0') + 1
redis.call('HSET', reg_key, 'days', text, 'status', overall,
  'revision', revision, 'update_ms', now)
if overall == 'cancelled' and reg[5] ~= 'cancelled' then
  redis.call('HINCRBY', counts_key, 'registrations', -1)
end
redis.call('XADD', changes_key, 'MAXLEN', '~', maxlen, '*',
  'kind', kind, 'participant', pid, 'days', text, 'revision', revision)
for _, d in ipairs(freed) do promote(d.date, d.mode) end
redis.call('HINCRBY', counts_key, 'version', 1)
redis.call('HSET', requests_key, request_id, pid)
-- Live watchers on every replica re-read the counts.
redis.call('PUBLISH', string.gsub(sheet_key, ':sheet$', ':counts-changed'), pid)
return reply()
