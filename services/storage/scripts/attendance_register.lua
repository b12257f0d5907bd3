-- Registers one participant for some days of an event, each day in its own
-- mode: a seat when that (day, mode) has one, else the next place on that
-- (day, mode)'s FIFO waitlist. Idempotent per request id. One round trip,
-- all or nothing.
--
-- KEYS: 1 sheet, 2 registration index (zset), 3 counters, 4 requests,
--       5 changes stream, 6 this participant's registration hash
-- ARGV: 1 request id, 2 participant id, 3 days ("date=mode;date=mode"; ""
--       = every day of the event in ARGV[4]), 4 default mode, 5 now (ms),
--       6 waitlist key prefix (+ "<date>:<mode>"), 7 stream max length,
--       8.. participant fields as name, value pairs
-- Waitlist keys are built here from a prefix carrying the event's hash tag,
-- so they are in the same cluster slot as the declared keys.
-- Returns the registration as attendance_get.lua does: { days
-- ("date=mode=status=position;..."), field, value, ... }.
local sheet_key, index_key, counts_key, requests_key, changes_key, reg_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local request_id, pid, wait_prefix = ARGV[1], ARGV[2], ARGV[6]

local function describe(days_text)
  -- Adds each waitlisted day's current position (1-based).
  local out = {}
  for date, mode, status in string.gmatch(days_text, '([^=;]+)=([^=;]+)=([^=;]+)') do
    local pos = 0
    if status == 'waitlisted' then
      local rank = redis.call('ZRANK', wait_prefix .. date .. ':' .. mode, pid)
      if rank then pos = rank + 1 end
    end
    out[#out + 1] = date .. '=' .. mode .. '=' .. status .. '=' .. pos
  end
  return table.concat(out, ';')
end

local function reply()
  local fields = redis.call('HGETALL', reg_key)
  local days = ''
  for i = 1, #fields, 2 do
    if fields[i] == 'days' then days = fields[i + 1] end
  end
  local out = { describe(days) }
  for i = 1, #fields do out[#out + 1] = fields[i] end
  return out
end

if redis.call('HGET', requests_key, request_id) then return reply() end

local sheet = redis.call('HGETALL', sheet_key)
if #sheet == 0 then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
local s = {}
for i = 1, #sheet, 2 do s[sheet[i]] = sheet[i + 1] end
if s.cancelled == '1' then
  return redis.error_reply('CONVENE FAILED_PRECONDITION the event is cancelled')
end
local previous = redis.call('HGET', reg_key, 'status')
if previous and previous ~= 'cancelled' then
  return redis.error_reply('CONVENE ALREADY_EXISTS participant ' .. pid ..
    ' is already registered; use ChangeMode to change days or modes')
end

local offers = {
  in_person = (s.format == 'in_person' or s.format == 'hybrid'),
  online = (s.format == 'online' or s.format == 'hybrid'),
}
local capacity = {
  in_person = tonumber(s.in_person_capacity),
  online = tonumber(s.online_capacity),
}
local event_days = {}
for d in string.gmatch(s.days, '[^,]+') do event_days[d] = true end

local wanted = {}
if ARGV[3] == '' then
  for d in string.gmatch(s.days, '[^,]+') do
    wanted[#wanted + 1] = { date = d, mode = ARGV[4] }
  end
else
  for d, m in string.gmatch(ARGV[3], '([^=;]+)=([^=;]+)') do
    wanted[#wanted + 1] = { date = d, mode = m }
  end
end
local seen = {}
for i, w in ipairs(wanted) do
  if not event_days[w.date] then
    return redis.error_reply('CONVENE INVALID_ARGUMENT days[' .. (i - 1) ..
      '].date: ' .. w.date .. ' is not a day of the event (' .. s.days .. ')')
  end
  if seen[w.date] then
    return redis.error_reply('CONVENE INVALID_ARGUMENT days[' .. (i - 1) ..
      '].date: ' .. w.date .. ' is listed twice')
  end
  seen[w.date] = true
  if not offers[w.mode] then
    return redis.error_reply('CONVENE FAILED_PRECONDITION days[' .. (i - 1) ..
      '].mode: the event does not offer ' .. w.mode .. ' attendance')
  end
end
table.sort(wanted, function(a, b) return a.date < b.date end)

local fields = {}
for i = 8, #ARGV, 2 do fields[ARGV[i]] = ARGV[i + 1] end
local city, org = fields.city or '', fields.organisation or ''

local days, any_waitlisted = {}, false
for _, w in ipairs(wanted) do
  local slot = w.date .. ':' .. w.mode
  local taken = tonumber(redis.call('HGET', counts_key, 'reg:' .. slot) or '0')
  local cap = capacity[w.mode]
  local status
  if cap == 0 or taken < cap then
    status = 'confirmed'
    redis.call('HINCRBY', counts_key, 'reg:' .. slot, 1)
    redis.call('HINCRBY', counts_key, 'city:' .. city .. ':reg:' .. slot, 1)
    redis.call('HINCRBY', counts_key, 'org:' .. org .. ':reg:' .. slot, 1)
  else
    status = 'waitlisted'
    any_waitlisted = true
    local seq = redis.call('HINCRBY', counts_key, 'seq', 1)
    redis.call('ZADD', wait_prefix .. slot, seq, pid)
    redis.call('HINCRBY', counts_key, 'wait:' .. slot, 1)
  end
  days[#days + 1] = w.date .. '=' .. w.mode .. '=' .. status
end
local days_text = table.concat(days, ';')
local status = any_waitlisted and 'waitlisted' or 'confirmed'
local revision = tonumber(redis.call('HGET', reg_key, 'revision') or '0') + 1
local created = redis.call('HGET', reg_key, 'create_ms') or ARGV[5]

redis.call('DEL', reg_key)
redis.call('HSET', reg_key, 'days', days_text, 'status', status,
  'revision', revision, 'create_ms', created, 'update_ms', ARGV[5],
  'walk_in', '0', unpack(ARGV, 8))
if redis.call('ZSCORE', index_key, pid) == false then
  redis.call('ZADD', index_key, redis.call('HINCRBY', counts_key, 'seq', 1), pid)
end
redis.call('HINCRBY', counts_key, 'registrations', 1)
redis.call('HINCRBY', counts_key, 'version', 1)
redis.call('XADD', changes_key, 'MAXLEN', '~', ARGV[7], '*',
  'kind', 'registration_created', 'participant', pid, 'days', days_text,
  'revision', revision)
redis.call('HSET', requests_key, request_id, pid)
-- Live watchers on every replica re-read the counts.
redis.call('PUBLISH', string.gsub(sheet_key, ':sheet$', ':counts-changed'), pid)
return reply()
