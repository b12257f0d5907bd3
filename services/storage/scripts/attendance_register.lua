-- Registers one participant for some days of an event, each day in its own
-- mode: a seat when that (day, mode) has one, else the next place on that
-- (day, mode)'s FIFO waitlist. Idempotent per request id. One round trip,
-- all or nothing. (attendance_lib.lua is joined in front.)
--
-- ARG: 1 request id, 2 participant id, 3 days ("date=mode;date=mode"; ""
--      = every day of the event, which makes it an "all days" registration
--      that follows days added later), 4 default mode, 5.. participant
--      fields as name, value pairs
-- Returns the registration as attendance_get.lua does: { days
-- ("date=mode=status=position;..."), field, value, ... }.
local request_id, pid, wanted_text, default_mode = ARG(1), ARG(2), ARG(3), ARG(4)

if already_done(request_id) then return registration_reply(pid) end

local sheet = read_sheet()
if not sheet then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
if sheet.cancelled == '1' then
  return redis.error_reply('CONVENE FAILED_PRECONDITION the event is cancelled')
end
local reg = load(pid)
if reg and reg.fields.status ~= 'cancelled' then
  return redis.error_reply('CONVENE ALREADY_EXISTS participant ' .. pid ..
    ' is already registered; use ChangeMode to change days or modes')
end

local event_days = {}
for _, d in ipairs(sheet.day_list) do event_days[d] = true end
local wanted = {}
if wanted_text == '' then
  for _, d in ipairs(sheet.day_list) do wanted[#wanted + 1] = { date = d, mode = default_mode } end
else
  for d, m in string.gmatch(wanted_text, '([^=;]+)=([^=;]+)') do
    wanted[#wanted + 1] = { date = d, mode = m }
  end
end
local seen = {}
for i, w in ipairs(wanted) do
  if not event_days[w.date] then
    return redis.error_reply('CONVENE INVALID_ARGUMENT days[' .. (i - 1) ..
      '].date: ' .. w.date .. ' is not a day of the event (' .. sheet.days .. ')')
  end
  if seen[w.date] then
    return redis.error_reply('CONVENE INVALID_ARGUMENT days[' .. (i - 1) ..
      '].date: ' .. w.date .. ' is listed twice')
  end
  seen[w.date] = true
  if not sheet.offers[w.mode] then
    return redis.error_reply('CONVENE FAILED_PRECONDITION days[' .. (i - 1) ..
      '].mode: the event does not offer ' .. w.mode .. ' attendance')
  end
end

local days = {}
for _, w in ipairs(wanted) do
  days[#days + 1] = { date = w.date, mode = w.mode, status = place(sheet, w.date, w.mode) }
end

local fields = { walk_in = '0', all_days_mode = (wanted_text == '' and default_mode or '') }
for i = 5, #ARGV - ARG_BASE, 2 do fields[ARG(i)] = ARG(i + 1) end
if reg then
  -- Registering again after a cancellation: the new details replace the
  -- old ones; where the person was present stays theirs.
  if reg.fields.forgotten == '1' then fields.forgotten = '0' end
else
  reg = { pid = pid, fields = { create_ms = EV.now }, days = {},
          groups = groups_of({}), present = {} }
  fields.create_ms = EV.now
  redis.call('ZADD', EV.index, next_seq(), pid)
end
local revision, text = save(reg, days, fields)
emit('kind', 'registration_created', 'participant', pid, 'days', text,
  'revision', revision)
remember(request_id, pid)
touched(pid)
return registration_reply(pid)
