-- Everything GetAttendanceCounts needs, read in one consistent step.
--! flags=no-writes
-- (attendance_lib.lua is joined in front.)
-- Returns { sheet fields, counter fields, presence sizes } as three flat
-- name/value arrays; presence names are "<scope>:in_person|online|both".
local sheet, flat = read_sheet()
if not sheet then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
local scopes = {}
for _, d in ipairs(sheet.day_list) do scopes[#scopes + 1] = day_scope(d) end
for _, s in ipairs(sheet.every_session) do scopes[#scopes + 1] = session_scope(s.id) end
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
