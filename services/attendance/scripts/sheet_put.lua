-- Replaces an event's attendance sheet unless the stored one is as new, and
-- carries the registrations along. (attendance_lib.lua is joined in front.)
-- ARG: 1 revision, 2 "1" to replace a sheet of the same revision (a rewrite
--      after an upgrade that adds fields; convene-admin resheet), then field,
--      value, field, value, ...
-- Returns 1 when written, 0 when the stored revision was newer (or the same,
-- unless ARG 2 says replace it).
--
-- Dates. A move that keeps the number of days (the workshop is a week
-- later): day i of the old dates becomes day i of the new ones in every
-- registration, in the seat and waitlist counters and in the waitlists, so
-- people keep their seats, modes and places in line. A change in the number
-- of days matches days by date: a registration's days on dates the event no
-- longer has are cancelled (their seats and places in line go), and new
-- dates are added to the "all days" registrations that were active, in
-- their registration's mode, seat or waitlist in registration order. Either
-- way each registration changed is recorded in the changes stream with the
-- reason.
-- Check-ins stay on the days they happened.
-- Capacities. A raised capacity (or one made unlimited) promotes the heads
-- of the waitlists at once; a lowered one takes no seat away.
-- Modes. Days held in a mode the event stops offering are cancelled.
local stored = tonumber(redis.call('HGET', EV.sheet, 'revision') or '0')
local revision = tonumber(ARG(1))
if stored > revision or (stored == revision and ARG(2) ~= '1') then return 0 end
local old = read_sheet()
redis.call('DEL', EV.sheet)
redis.call('HSET', EV.sheet, 'revision', ARG(1), unpack(ARGV, ARG_BASE + 3))
pack_sheet_rules()
-- So `convene-admin resheet` also moves the counters of an event stored
-- before per-day hashes (attendance_lib.lua).
counters_layout_current()
local new = read_sheet()
if not old then return 1 end

local function relabel()
  local moved = {}
  for i = 1, #days_of(old) do moved[days_of(old)[i]] = days_of(new)[i] end
  local function move_dates(text)
    return (string.gsub(text, '%d%d%d%d%-%d%d%-%d%d', function(d) return moved[d] or d end))
  end
  -- A registration's days move with the event; a day it still has on a
  -- date the event lost earlier (cancelled then) stays as it is, unless a
  -- moved day now lands on that date: one entry per date, the live one.
  local function move_days(text)
    local kept, taken = {}, {}
    for _, d in ipairs(parse_days(text)) do
      if moved[d.date] then
        d.date = moved[d.date]
        taken[d.date] = true
        kept[#kept + 1] = d
      end
    end
    for _, d in ipairs(parse_days(text)) do
      if not moved[d.date] and not (taken[d.date] and d.status == 'cancelled') then
        kept[#kept + 1] = d
      end
    end
    return (encode_days(kept))
  end
  -- Each registration moved is a change of it, recorded with its days and
  -- a new revision as refit records its own: the services that keep copies
  -- of registrations (notification, to remind and tell people) follow the
  -- stream, not these keys.
  for _, pid in ipairs(redis.call('ZRANGE', EV.index, 0, -1)) do
    local key = EV.reg_prefix .. pid
    local v = redis.call('HMGET', key, 'days', 'revision')
    if v[1] then
      local text = move_days(v[1])
      if text ~= v[1] then
        local revision = tostring(tonumber(v[2] or '0') + 1)
        redis.call('HSET', key, 'days', text, 'revision', revision, 'update_ms', EV.now)
        emit('kind', 'registration_mode_changed', 'participant', pid, 'days', text,
          'revision', revision, 'reason', 'the event now runs on ' .. new.days)
      end
    end
  end
  -- Seat and waitlist counters, also per group (group codes are hex, so
  -- the date pattern only ever matches a date). Read all first: old and
  -- new dates may overlap (a move by one day).
  -- They are kept per day: only the old days' hashes hold any to move.
  counters_layout_current()
  local gone, renamed = {}, {}
  for _, date in ipairs(days_of(old)) do
    local counters = redis.call('HGETALL', day_counts_key(date))
    for i = 1, #counters, 2 do
      local field = counters[i]
      if string.find(field, '^reg:') or string.find(field, '^wait:') or
         string.find(field, ':reg:') or string.find(field, ':wait:') then
        local to = move_dates(field)
        if to ~= field then
          gone[#gone + 1] = field
          gone[#gone + 1] = 0
          renamed[#renamed + 1] = to
          renamed[#renamed + 1] = counters[i + 1]
        end
      end
    end
  end
  -- Deletes first: a moved field may take the name of one that moved away.
  store_counters(gone)
  store_counters(renamed)
  -- Waitlists, with their arrival scores.
  local lines = {}
  for _, date in ipairs(days_of(old)) do
    for _, mode in ipairs(MODES) do
      local members = redis.call('ZRANGE', waitlist_key(date, mode), 0, -1, 'WITHSCORES')
      if #members > 0 then
        lines[#lines + 1] = { waitlist_key(moved[date], mode), members }
        redis.call('DEL', waitlist_key(date, mode))
      end
    end
  end
  for _, line in ipairs(lines) do
    for i = 1, #line[2], 2 do redis.call('ZADD', line[1], line[2][i + 1], line[2][i]) end
  end
end

local function refit()
  local kept, added = {}, {}
  for _, d in ipairs(days_of(new)) do kept[d] = true end
  local had = {}
  for _, d in ipairs(days_of(old)) do had[d] = true end
  for _, d in ipairs(days_of(new)) do
    if not had[d] then added[#added + 1] = d end
  end
  for _, pid in ipairs(redis.call('ZRANGE', EV.index, 0, -1)) do
    local reg = load(pid)
    if reg then
      local days, dropped, gained = copy_days(reg.days), false, false
      local present = {}
      for _, d in ipairs(days) do
        present[d.date] = true
        if not kept[d.date] and d.status ~= 'cancelled' then
          d.status, dropped = 'cancelled', true
        end
      end
      local mode = reg.fields.all_days_mode or ''
      if mode ~= '' and reg.fields.status ~= 'cancelled' and offers(new, mode) then
        for _, date in ipairs(added) do
          if not present[date] then
            days[#days + 1] = { date = date, mode = mode, status = place(new, date, mode) }
            gained = true
          end
        end
      end
      if dropped or gained then
        local revision, text = save(reg, days)
        emit('kind', dropped and 'registration_cancelled' or 'registration_mode_changed',
          'participant', pid, 'days', text, 'revision', revision,
          'reason', 'the event now runs on ' .. new.days)
      end
    end
  end
end

-- Days held in a mode the event no longer offers are cancelled, as days on
-- dates it no longer has are: their seats and places in line go (an online
-- capacity that is no longer there reads as "no limit", and must not seat
-- the online waitlist in an event without online attendance).
local function drop_modes()
  local gone = {}
  for _, mode in ipairs(MODES) do
    if not offers(new, mode) then gone[#gone + 1] = mode end
  end
  if #gone == 0 then return end
  for _, pid in ipairs(redis.call('ZRANGE', EV.index, 0, -1)) do
    local reg = load(pid)
    if reg then
      local days, dropped = copy_days(reg.days), {}
      for _, d in ipairs(days) do
        if d.status ~= 'cancelled' and not offers(new, d.mode) then
          d.status = 'cancelled'
          dropped[d.mode] = true
        end
      end
      if next(dropped) then
        local revision, text = save(reg, days)
        emit('kind', 'registration_cancelled', 'participant', pid, 'days', text,
          'revision', revision,
          'reason', 'the event no longer offers ' .. table.concat(gone, ' or ') .. ' attendance')
      end
    end
  end
end

if #days_of(old) == #days_of(new) then
  if old.days ~= new.days then relabel() end
else
  refit()
end
drop_modes()
promote_all(new)
touched('sheet')
return 1
