-- Records that a participant is present for a day or a session, in a mode.
-- Counted once per (participant, day or session, mode): a repeated scan or
-- rejoin returns the first record (with its join count raised). Walk-ins
-- get a registration when the event allows them and the room has a seat;
-- someone registered, but not for that day, gets the day added the same way.
-- One round trip, all or nothing. (attendance_lib.lua is joined in front.)
--
-- ARG: 1 request id, 2 participant id, 3 day ("" with a session),
--      4 session id ("" for a day), 5 mode, 6 source, 7 occurred (ms),
--      8.. walk-in participant fields (name, value ...)
-- Returns { record ("mode|source|first_ms|joins|last_leave_ms|walk_in"),
--           duplicate (0/1), day }.
local request_id, pid, day, session, mode, source, at =
  ARG(1), ARG(2), ARG(3), ARG(4), ARG(5), ARG(6), ARG(7)

local sheet = read_sheet()
if not sheet then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end

local offered = sheet.format
if session ~= '' then
  local date, format, removed = find_session(sheet, session)
  if not date then
    return redis.error_reply('CONVENE NOT_FOUND session_id: ' .. session ..
      ' is not a session of the event')
  end
  if removed then
    return redis.error_reply('CONVENE FAILED_PRECONDITION session_id: ' .. session ..
      ' was removed from the event')
  end
  day, offered = date, format
else
  if not is_day(sheet, day) then
    return redis.error_reply('CONVENE INVALID_ARGUMENT day: ' .. day ..
      ' is not a day of the event (' .. sheet.days .. ')')
  end
end
local scope = session ~= '' and session_scope(session) or day_scope(day)
local key = check_in_field(scope, mode, pid)

local done, refused = already_done(request_id)
if refused then return refused end
local existing = redis.call('HGET', EV.checkins, key)
if done and existing then return { existing, 1, day } end
if sheet.cancelled == '1' then
  return redis.error_reply('CONVENE FAILED_PRECONDITION the event is cancelled')
end
local late_or_early = outside_check_in_window(sheet, day, at)
if late_or_early then return late_or_early end
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
  redis.call('HSET', EV.checkins, key, record)
  remember(request_id, pid)
  return { record, 1, day }
end

-- Who may be present: confirmed that day; in the room only in the mode they
-- hold a seat in (online joins are open to in-person registrants too).
local walk_in = '0'
local reg = load_presence(pid)
local held = reg and held_mode(reg.fields.days, day)
if held == nil or (mode == 'in_person' and held ~= 'in_person') then
  if held == nil and mode == 'in_person' and sheet.walk_ins == '1' and
     has_seat(sheet, day, 'in_person') and #ARGV > ARG_BASE + 7 and not reg then
    walk_in = '1'
    local fields = { walk_in = '1', all_days_mode = '', create_ms = at }
    for i = 8, #ARGV - ARG_BASE, 2 do fields[ARG(i)] = ARG(i + 1) end
    reg = { pid = pid, fields = {}, days = {}, groups = groups_of({}), present = {} }
    redis.call('ZADD', EV.index, next_seq(), pid)
    save(reg, { { date = day, mode = 'in_person', status = 'confirmed' } }, fields)
    reg = load(pid)
    bump(walk_in_field(day), 1)
  elseif reg and held == nil and mode == 'in_person' and sheet.walk_ins == '1' and
         has_seat(sheet, day, 'in_person') then
    -- Registered, but not for this day (other days, a place in line, a
    -- cancelled day): a walk-in like anyone else, the seat added to the
    -- registration they have (its details stay; the walk-in's are ignored).
    walk_in = '1'
    local full = load(pid)
    local days, found = copy_days(full.days), false
    for _, d in ipairs(days) do
      if d.date == day then d.mode, d.status, found = 'in_person', 'confirmed', true end
    end
    if not found then days[#days + 1] = { date = day, mode = 'in_person', status = 'confirmed' } end
    save(full, days)
    reg = full
    bump(walk_in_field(day), 1)
  elseif held ~= nil then
    return redis.error_reply('CONVENE FAILED_PRECONDITION ' .. pid ..
      ' holds an online place on ' .. day .. ', not a seat in the room')
  else
    local why
    if sheet.walk_ins ~= '1' then
      why = ' and the event takes no walk-ins'
    elseif mode ~= 'in_person' then
      why = '; walk-ins are in the room only'
    elseif not has_seat(sheet, day, 'in_person') then
      why = ' and the room is full'
    else
      why = ' and no walk-in details were given'
    end
    return redis.error_reply('CONVENE FAILED_PRECONDITION ' .. pid ..
      ' is not registered (confirmed) for ' .. day .. why)
  end
end

local record = table.concat({ mode, source, at, 1, '', walk_in }, '|')
redis.call('HSET', EV.checkins, key, record)
count_presence(reg, scope, day, mode)
if mode == 'online' then note_online_times(scope, day, tonumber(at), nil) end
remember(request_id, pid)
emit('kind', 'checked_in', 'participant', pid, 'scope', scope, 'mode', mode,
  'source', source, 'walk_in', walk_in)
touched(scope)
return { record, 0, day }
