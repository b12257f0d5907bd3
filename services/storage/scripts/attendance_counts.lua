-- Everything GetAttendanceCounts needs, read in one consistent step.
-- KEYS: 1 sheet, 2 counters
-- ARGV: 1 presence set prefix
-- Returns { sheet fields, counter fields, presence sizes } as three flat
-- name/value arrays; presence names are "<scope>:in_person|online|both".
local sheet = redis.call('HGETALL', KEYS[1])
if #sheet == 0 then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
local s = {}
for i = 1, #sheet, 2 do s[sheet[i]] = sheet[i + 1] end
local scopes = {}
for d in string.gmatch(s.days or '', '[^,]+') do scopes[#scopes + 1] = 'day:' .. d end
for id in string.gmatch(s.sessions or '', '([^@,]+)@[^@,]+@[^@,]+') do
  scopes[#scopes + 1] = 'session:' .. id
end
local presence = {}
for _, scope in ipairs(scopes) do
  local room, online = ARGV[1] .. scope .. ':in_person', ARGV[1] .. scope .. ':online'
  presence[#presence + 1] = scope .. ':in_person'
  presence[#presence + 1] = redis.call('SCARD', room)
  presence[#presence + 1] = scope .. ':online'
  presence[#presence + 1] = redis.call('SCARD', online)
  presence[#presence + 1] = scope .. ':both'
  presence[#presence + 1] = redis.call('SINTERCARD', 2, room, online)
end
return { sheet, redis.call('HGETALL', KEYS[2]), presence }
