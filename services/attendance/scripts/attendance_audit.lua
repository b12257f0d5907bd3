-- Recomputes every counter of one event from its registrations and
-- check-in records, with the same contribution() the changes use, and
-- reports where the stored state drifted; with repair, rewrites it in the
-- same step. (attendance_lib.lua is joined in front.)
-- ARG: 1 "repair" or ""
-- Returns { field, stored, computed, ... } for every drift (empty: none).
-- Fields are counter names, "waitlist:<date>:<mode>:<pid>" and
-- "presence:<scope>:<mode>:<pid>" (1 = member, 0 = not), and
-- "present:<pid>" (the registration's own list of where it was present).
local repair = ARG(1) == 'repair'
local sheet = read_sheet()
if not sheet then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
local session_day = {}
for _, s in ipairs(every_session(sheet)) do session_day[s.id] = s.date end

local computed, drifts = {}, {}
local function add(field, by) computed[field] = (computed[field] or 0) + by end
local function drift(field, stored, wanted)
  drifts[#drifts + 1] = field
  drifts[#drifts + 1] = tostring(stored)
  drifts[#drifts + 1] = tostring(wanted)
end

-- Registrations: seats, waitlists, groups, registrations.
local regs, waiting = {}, {}
for _, pid in ipairs(redis.call('ZRANGE', EV.index, 0, -1)) do
  local reg = load(pid)
  if reg then
    regs[pid] = reg
    contribution({ days = reg.days, groups = reg.groups, present = {} }, computed, 1)
    for _, d in ipairs(reg.days) do
      if d.status == 'waitlisted' then
        local slot = d.date .. ':' .. d.mode
        waiting[slot] = waiting[slot] or {}
        waiting[slot][pid] = true
      end
    end
  end
end

-- Check-in records: presence, under the groups of the person's
-- registration, the headcount sets, walk-ins, first join and last leave.
local present, members = {}, {}
local records = redis.call('HGETALL', EV.checkins)
for i = 1, #records, 2 do
  local scope_kind, scope_id, mode, pid = string.match(records[i], '^([^:]+):([^:]+):([^:]+):(.+)$')
  local m, src, first, joins, left, walk = string.match(records[i + 1],
    '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if scope_kind and m then
    local scope = scope_kind == 'day' and day_scope(scope_id) or session_scope(scope_id)
    local day = scope_kind == 'day' and scope_id or session_day[scope_id]
    local entry = scope .. ':' .. mode
    add(presence_field(scope, mode), 1)
    local reg = regs[pid]
    if reg then
      add(group_field('city', reg.groups.city, 'in:' .. entry), 1)
      add(group_field('org', reg.groups.org, 'in:' .. entry), 1)
      present[pid] = present[pid] or {}
      present[pid][entry] = true
    end
    members[entry] = members[entry] or {}
    members[entry][pid] = true
    if day and scope_kind == 'session' then
      local daily = day_scope(day) .. ':' .. mode
      members[daily] = members[daily] or {}
      members[daily][pid] = true
    end
    if walk == '1' and day then add(walk_in_field(day), 1) end
    if mode == 'online' then
      local at, l = tonumber(first), tonumber(left)
      for _, s in ipairs((day and scope_kind == 'session') and { scope, day_scope(day) } or { scope }) do
        local j = computed[join_field(s)]
        if at and (j == nil or at < j) then computed[join_field(s)] = at end
        if l and (computed[leave_field(s)] == nil or l > computed[leave_field(s)]) then
          computed[leave_field(s)] = l
        end
      end
    end
  end
end
for field, v in pairs(computed) do
  if v == 0 then computed[field] = nil end
end

-- Counters.
-- The days of the sheet and of every computed counter are read besides
-- those the set of counted days lists, should that set have lost one.
local dates, dated = {}, {}
for _, d in ipairs(days_of(sheet)) do dated[d] = true end
for field in pairs(computed) do
  local d = counter_date(field)
  if d then dated[d] = true end
end
for d in pairs(dated) do dates[#dates + 1] = d end
local stored = all_counters(dates)
for field, v in pairs(stored) do
  if field ~= 'seq' and field ~= 'version' and v ~= 0 and computed[field] ~= v then
    drift(field, v, computed[field] or 0)
  end
end
for field, v in pairs(computed) do
  if stored[field] == nil or stored[field] == 0 then drift(field, 0, v) end
end

-- Waitlists: exactly the days that say they wait.
local lines = {}
for _, date in ipairs(days_of(sheet)) do
  for _, mode in ipairs(MODES) do lines[date .. ':' .. mode] = true end
end
for slot in pairs(waiting) do lines[slot] = true end
for slot in pairs(lines) do
  local want = waiting[slot] or {}
  for _, pid in ipairs(redis.call('ZRANGE', EV.wait_prefix .. slot, 0, -1)) do
    if not want[pid] then
      drift('waitlist:' .. slot .. ':' .. pid, 1, 0)
      if repair then redis.call('ZREM', EV.wait_prefix .. slot, pid) end
    end
  end
  for pid in pairs(want) do
    if not redis.call('ZSCORE', EV.wait_prefix .. slot, pid) then
      drift('waitlist:' .. slot .. ':' .. pid, 0, 1)
      if repair then redis.call('ZADD', EV.wait_prefix .. slot, next_seq(), pid) end
    end
  end
end

-- Headcount sets.
for entry, want in pairs(members) do
  local scope, mode = string.match(entry, '^(.+):([^:]+)$')
  for _, pid in ipairs(redis.call('SMEMBERS', presence_key(scope, mode))) do
    if not want[pid] then
      drift('presence:' .. entry .. ':' .. pid, 1, 0)
      if repair then redis.call('SREM', presence_key(scope, mode), pid) end
    end
  end
  for pid in pairs(want) do
    if redis.call('SISMEMBER', presence_key(scope, mode), pid) == 0 then
      drift('presence:' .. entry .. ':' .. pid, 0, 1)
      if repair then redis.call('SADD', presence_key(scope, mode), pid) end
    end
  end
end

-- Each registration's own list of where it was present.
for pid, reg in pairs(regs) do
  local want, list = present[pid] or {}, {}
  for entry in pairs(want) do list[#list + 1] = entry end
  table.sort(list)
  local have = {}
  for _, entry in ipairs(reg.present) do have[#have + 1] = entry end
  table.sort(have)
  local a, b = table.concat(list, ','), table.concat(have, ',')
  if a ~= b then
    drift('present:' .. pid, b, a)
    if repair then redis.call('HSET', EV.reg_prefix .. pid, 'present', a) end
  end
end

if repair and #drifts > 0 then
  -- counter('seq'): the arrival numbers the repaired waitlists took above.
  local keep = { seq = counter('seq'), version = (stored.version or 0) + 1 }
  delete_counters()
  redis.call('HSET', EV.counts, 'seq', keep.seq, 'version', keep.version, 'layout', COUNTS_LAYOUT)
  local args = {}
  for field, v in pairs(computed) do
    args[#args + 1] = field
    args[#args + 1] = v
  end
  store_counters(args)
  redis.call('PUBLISH', EV.channel, 'audit')
end
return drifts
