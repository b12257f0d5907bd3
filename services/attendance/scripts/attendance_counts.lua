-- Everything GetAttendanceCounts needs, read in one consistent step.
--! flags=no-writes
-- (attendance_lib.lua is joined in front.)
-- Returns { sheet fields, counter fields, presence sizes } as three flat
-- name/value arrays; presence names are "<scope>:in_person|online|both".
local flat = redis.call('HGETALL', EV.sheet)
if #flat == 0 then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
local sheet = sheet_of(flat)
local scopes = {}
for _, d in ipairs(days_of(sheet)) do scopes[#scopes + 1] = day_scope(d) end
for _, s in ipairs(every_session(sheet)) do scopes[#scopes + 1] = session_scope(s.id) end
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
return { flat, redis.call('HGETALL', EV.counts), presence }
