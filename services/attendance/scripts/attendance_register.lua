-- Registers one participant for some days of an event, each day in its own
-- mode: a seat when that (day, mode) has one, else the next place on that
-- (day, mode)'s FIFO waitlist. Idempotent per request id: a retry returns
-- the first answer, whatever happened since. One round trip, all or
-- nothing. (attendance_lib.lua is joined in front.)
--
-- ARG: 1 request id, 2 participant id, 3 days ("date=mode;date=mode"; ""
--      = every day of the event, which makes it an "all days" registration
--      that follows days added later), 4 default mode, 5.. participant
--      fields as name, value pairs
-- Returns the registration as attendance_get.lua does: { days
-- ("date=mode=status=position;..."), field, value, ... }; a first
-- registration leaves out the participant fields, which are exactly the
-- caller's (ARG 5..): echoing them back cost Redis about 5 us a call.
local request_id, pid, wanted_text, default_mode = ARG(1), ARG(2), ARG(3), ARG(4)

local done, refused, first = already_done(request_id)
if refused then return refused end
if done then return first_registration_reply(pid, first) end

local sheet = read_sheet()
if not sheet then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
if sheet.cancelled == '1' then
  return redis.error_reply('CONVENE FAILED_PRECONDITION the event is cancelled')
end
-- The days asked for, checked before anything is read or placed.
local wanted = {}
local function refuse_mode(i, mode)
  return redis.error_reply('CONVENE FAILED_PRECONDITION days[' .. (i - 1) ..
    '].mode: the event does not offer ' .. mode .. ' attendance')
end
if wanted_text == '' then
  -- Every day of the event, in the default mode.
  for i, date in ipairs(days_of(sheet)) do
    if not offers(sheet, default_mode) then return refuse_mode(i, default_mode) end
    wanted[i] = { date = date, mode = default_mode }
  end
else
  -- open[date]: true for a day of the event not listed yet, false once listed.
  local open = {}
  for _, date in ipairs(days_of(sheet)) do open[date] = true end
  local i = 0
  for date, mode in string.gmatch(wanted_text, '([^=;]+)=([^=;]+)') do
    i = i + 1
    if open[date] == nil then
      return redis.error_reply('CONVENE INVALID_ARGUMENT days[' .. (i - 1) ..
        '].date: ' .. date .. ' is not a day of the event (' .. sheet.days .. ')')
    end
    if open[date] == false then
      return redis.error_reply('CONVENE INVALID_ARGUMENT days[' .. (i - 1) ..
        '].date: ' .. date .. ' is listed twice')
    end
    open[date] = false
    if not offers(sheet, mode) then return refuse_mode(i, mode) end
    wanted[i] = { date = date, mode = mode }
  end
end

local fields = { walk_in = '0', all_days_mode = (wanted_text == '' and default_mode or '') }
for i = 5, #ARGV - ARG_BASE, 2 do fields[ARG(i)] = ARG(i + 1) end

-- One read for every counter a new registration with limited seats moves:
-- the seats (placing reads them), the same under its city and
-- organisation, the registration count, arrival order and version. Where
-- seats are unlimited nothing needs their count, and the counters are moved
-- in place at the end (write_counters), which costs Redis less than
-- reading them to write them back.
local groups = groups_of(fields)
local reads = { 'registrations', 'seq', 'version' }
for _, w in ipairs(wanted) do
  if capacity(sheet, w.mode) > 0 then
    local seat = seat_field(w.date, w.mode)
    reads[#reads + 1] = seat
    reads[#reads + 1] = group_field('city', groups.city, seat)
    reads[#reads + 1] = group_field('org', groups.org, seat)
  end
end
read_counters(reads)

-- Most registrations are new: joining the index tells, in the same command,
-- whether the participant was here before (a new one needs no load).
local reg
if redis.call('ZADD', EV.index, 'NX', counter('seq') + 1, pid) == 1 then
  next_seq()
else
  reg = load(pid)
end
if not reg then
  fields.create_ms = EV.now
  reg = { pid = pid, fields = { create_ms = EV.now }, days = {},
          groups = groups_of({}), present = {} }
else
  if reg.fields.status ~= 'cancelled' then
    return redis.error_reply('CONVENE ALREADY_EXISTS participant ' .. pid ..
      ' is already registered; use ChangeMode to change days or modes')
  end
  -- Registering again after a cancellation: the new details replace the
  -- old ones; where the person was present stays theirs.
  if reg.fields.forgotten == '1' then fields.forgotten = '0' end
end

-- Each day placed: a seat or the end of its waitlist.
local days = {}
for i, w in ipairs(wanted) do
  days[i] = { date = w.date, mode = w.mode, status = place(sheet, w.date, w.mode) }
end

local fresh = reg.fields.revision == nil
local described
local revision, _, written = save(reg, days, fields, function(text, revision)
  emit('kind', 'registration_created', 'participant', pid, 'days', text,
    'revision', revision)
  local name, value
  name, value, described = emit_contact(reg, fields, text, revision)
  return name, value
end)
touched(pid)
local reply
if fresh then
  -- A first registration's hash holds what save wrote (written: 'days',
  -- text, 'status', overall, ...): the participant fields the caller sent
  -- and these.
  reply = { described, 'status', written[4], 'revision', revision, 'create_ms', EV.now,
            'update_ms', EV.now, 'walk_in', '0' }
else
  reply = registration_reply(pid)
end
remember(request_id, pid, reply)
return reply
