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
local counters
if redis.call('HGET', EV.counts, 'layout') == COUNTS_LAYOUT then
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
    local day = redis.call('HGETALL', day_counts_key(d))
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
