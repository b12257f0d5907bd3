-- Everything GetAttendanceCounts needs, read in one consistent step.
--! flags=no-writes
-- (attendance_lib.lua is joined in front.)
-- ARG: the days asked for ("YYYY-MM-DD" each; none: every day). A day the
-- event does not have is not read (the service answers INVALID_ARGUMENT).
-- Returns { sheet fields, counter fields, presence sizes } as three flat
-- name/value arrays; presence names are "<scope>:in_person|online|both".
-- The counters and presence are those of the asked days and their
-- sessions, plus "registrations" and "version": the cost grows with the
-- days asked, not with the event (see the counters' layout in
-- attendance_lib.lua).
local flat = redis.call('HGETALL', EV.sheet)
if #flat == 0 then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
local sheet = sheet_of(flat)
local asked = {}
if #ARGS > ARG_BASE then
  for i = ARG_BASE + 1, #ARGS do
    if is_day(sheet, ARGS[i]) and not asked[ARGS[i]] then
      asked[ARGS[i]] = true
      asked[#asked + 1] = ARGS[i]
    end
  end
else
  for _, d in ipairs(days_of(sheet)) do
    asked[d] = true
    asked[#asked + 1] = d
  end
end
local scopes, sessions = {}, {}
for _, d in ipairs(asked) do scopes[#scopes + 1] = day_scope(d) end
for _, s in ipairs(every_session(sheet)) do
  if asked[s.date] then
    scopes[#scopes + 1] = session_scope(s.id)
    sessions[#sessions + 1] = s.id
  end
end
-- A whole event (no day asked) whose answer would pass what one answer
-- holds is refused as GetAttendanceCounts refuses it after reading
-- (CountsForDays in registration_mapping.cc: OUT_OF_RANGE, "days: ..."),
-- but before reading every day: a year with long group names was 150 ms
-- of Redis per refused call. Days listed explicitly are always read: the
-- watchers' hub asks for the union of its watchers' days and answers each
-- its own slice, which may fit when the union does not.
local ANSWER_LIMIT = 3 * 1024 * 1024  -- core::kMaxPageBytes (core/page_token.h)
local SAMPLED_DAYS = 8
-- The bytes the answer spends on one day at least, from its counters:
-- the date, and each city and organisation counted that day (its name and
-- one non-zero count; core/attendance_counts.cc GroupsByDate).
local function day_bytes_at_least(fields)
  local bytes, groups = 14, {}
  for k = 1, #fields, 2 do
    local kind, code, what = string.match(fields[k], '^g:(%a+):([^:]+):(%a+):')
    if kind and (what == 'reg' or what == 'wait' or what == 'in') and fields[k + 1] ~= '0'
        and not groups[kind .. ':' .. code] then
      groups[kind .. ':' .. code] = true
      bytes = bytes + 8 + (code == '~' and 8 or math.floor(#code / 2))
    end
  end
  return bytes
end
-- Days already read to estimate, kept for the answer.
local read_days = {}
local function refuse_if_too_large()
  if #ARGS > ARG_BASE or #asked <= SAMPLED_DAYS then return nil end
  local sizes, total = {}, 0
  for k, d in ipairs(asked) do
    sizes[k] = redis.call('HLEN', day_counts_key(d))
  end
  -- Days spread over the event, first and last included; each day's bytes
  -- per counter field, the least of them stands for the days not read.
  local per_field, sampled = nil, {}
  for j = 0, SAMPLED_DAYS - 1 do
    local k = 1 + math.floor(j * (#asked - 1) / (SAMPLED_DAYS - 1))
    local d = asked[k]
    if not read_days[d] then
      read_days[d] = redis.call('HGETALL', day_counts_key(d))
      sampled[d] = day_bytes_at_least(read_days[d])
      if sizes[k] > 0 then
        local r = sampled[d] / sizes[k]
        if per_field == nil or r < per_field then per_field = r end
      end
    end
  end
  for k, d in ipairs(asked) do
    if sampled[d] then
      total = total + sampled[d]
    else
      total = total + 14 + sizes[k] * (per_field or 0)
    end
  end
  if total > ANSWER_LIMIT then
    return redis.error_reply(string.format(
      'CONVENE OUT_OF_RANGE days: the counts of %d days are about %d bytes, more than one '
        .. 'answer holds (%d); ask for fewer days', #asked, math.floor(total), ANSWER_LIMIT))
  end
  return nil
end

local counters
if redis.call('HGET', EV.counts, 'layout') == COUNTS_LAYOUT then
  local refused = refuse_if_too_large()
  if refused then return refused end
  local names = { 'registrations', 'version' }
  for _, id in ipairs(sessions) do
    local scope = session_scope(id)
    names[#names + 1] = presence_field(scope, 'in_person')
    names[#names + 1] = presence_field(scope, 'online')
    names[#names + 1] = join_field(scope)
    names[#names + 1] = leave_field(scope)
  end
  local values = redis.call('HMGET', EV.counts, unpack(names))
  counters = {}
  for i, name in ipairs(names) do
    if values[i] then
      counters[#counters + 1] = name
      counters[#counters + 1] = values[i]
    end
  end
  for _, d in ipairs(asked) do
    local day = read_days[d] or redis.call('HGETALL', day_counts_key(d))
    for i = 1, #day do counters[#counters + 1] = day[i] end
  end
else
  -- Stored before per-day hashes (until the event's next change moves them).
  counters = redis.call('HGETALL', EV.counts)
end
local presence = {}
for _, scope in ipairs(scopes) do
  local room, online = presence_key(scope, 'in_person'), presence_key(scope, 'online')
  presence[#presence + 1] = scope .. ':in_person'
  presence[#presence + 1] = redis.call('SCARD', room)
  presence[#presence + 1] = scope .. ':online'
  presence[#presence + 1] = redis.call('SCARD', online)
  presence[#presence + 1] = scope .. ':both'
  presence[#presence + 1] = redis.call('SINTERCARD', 2, room, online)
end
return { flat, counters, presence }
