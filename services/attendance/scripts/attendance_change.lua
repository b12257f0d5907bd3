-- Changes a registration: cancels some or all days ("cancel"), or moves
-- some or all days to another mode ("change_mode": in person <-> online).
-- A change_mode that names a day of the event the person does not hold (one
-- they never asked for, or cancelled) adds it: an active registration is
-- the one way back to a day, since Register refuses a registered person.
-- Each freed seat goes at once to the head of that (day, mode)'s waitlist,
-- while the mode has room; a day moved to a full mode, or added, waits at
-- the end of its waitlist when it has no seat. Idempotent per request id (a retry returns the days, status
-- and revision of the first answer). One round trip, all or nothing.
-- (attendance_lib.lua is joined in front.)
--
-- ARG: 1 request id, 2 participant id, 3 cancel: dates ("d1;d2"),
--      change_mode: "date=mode;..."; "" = every registered day,
--      4 "cancel" | "change_mode", 5 change_mode: the mode for every day
--      when ARG(3) is "", 6 reason (cancel; recorded in the stream)
-- Returns the registration as attendance_get.lua does.
local request_id, pid, listed, op = ARG(1), ARG(2), ARG(3), ARG(4)

local done, refused, first = already_done(request_id)
if refused then return refused end
if done then return first_reply(pid, first) end

local reg = load(pid)
if not reg then
  return redis.error_reply('CONVENE NOT_FOUND participant ' .. pid .. ' is not registered')
end
local sheet = read_sheet()
if not sheet then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end

-- wanted[date] = the new mode (change_mode) or true (cancel)
local wanted = {}
if listed == '' then
  for _, d in ipairs(reg.days) do
    if d.status ~= 'cancelled' then wanted[d.date] = (op == 'cancel') or ARG(5) end
  end
else
  if op == 'cancel' then
    for d in string.gmatch(listed, '[^;]+') do wanted[d] = true end
    for d in pairs(wanted) do
      local found = false
      for _, day in ipairs(reg.days) do if day.date == d then found = true end end
      if not found then
        return redis.error_reply('CONVENE INVALID_ARGUMENT dates: ' .. pid ..
          ' is not registered for ' .. d)
      end
    end
  else
    -- Any day of the event as it stands: held, cancelled or new to them.
    local of_event = {}
    for _, date in ipairs(days_of(sheet)) do of_event[date] = true end
    for d, m in string.gmatch(listed, '([^=;]+)=([^=;]+)') do
      if not of_event[d] then
        return redis.error_reply('CONVENE INVALID_ARGUMENT days: ' .. d ..
          ' is not a day of the event (' .. sheet.days .. ')')
      end
      wanted[d] = m
    end
  end
end

if op == 'change_mode' then
  if sheet.cancelled == '1' then
    return redis.error_reply('CONVENE FAILED_PRECONDITION the event is cancelled')
  end
  for _, m in pairs(wanted) do
    if not offers(sheet, m) then
      return redis.error_reply('CONVENE FAILED_PRECONDITION mode: the event does not offer ' ..
        m .. ' attendance')
    end
  end
  -- A registration with every day cancelled is registered again (Register
  -- takes it, with the person's details as they are now).
  if listed ~= '' and reg.fields.status == 'cancelled' then
    return redis.error_reply('CONVENE FAILED_PRECONDITION participant ' .. pid ..
      ' has cancelled every day; register again')
  end
end

local days, freed = copy_days(reg.days), {}
local held = {}
for _, d in ipairs(days) do
  held[d.date] = true
  local target = wanted[d.date]
  if target and op == 'change_mode' and d.status == 'cancelled' then
    d.mode = target
    d.status = place(sheet, d.date, d.mode)
  elseif target and d.status ~= 'cancelled' and (op == 'cancel' or target ~= d.mode) then
    if d.status == 'confirmed' then freed[#freed + 1] = { date = d.date, mode = d.mode } end
    if op == 'cancel' then
      d.status = 'cancelled'
    else
      d.mode = target
      d.status = place(sheet, d.date, d.mode)
    end
  end
end
if op == 'change_mode' then
  for date, mode in pairs(wanted) do
    if not held[date] then
      days[#days + 1] = { date = date, mode = mode, status = place(sheet, date, mode) }
    end
  end
end
local revision, text = save(reg, days)
if op == 'cancel' then
  local cancelled = emit('kind', 'registration_cancelled', 'participant', pid, 'days', text,
    'revision', revision)
  emit_note(pid, cancelled, ARG(6) or '')
else
  emit('kind', 'registration_mode_changed', 'participant', pid, 'days', text,
    'revision', revision)
end
for _, f in ipairs(freed) do promote(sheet, f.date, f.mode) end
touched(pid)
local reply = registration_reply(pid)
remember(request_id, pid, reply)
return reply
