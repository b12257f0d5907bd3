-- Records that an online participant left a day or a session (a meeting
-- platform's leave report). Keeps the latest leave; the first join stays.
-- KEYS: 1 sheet, 2 counters, 3 check-ins hash, 4 requests, 5 changes stream
-- ARGV: 1 request id, 2 participant id, 3 day ("" with a session),
--       4 session id ("" for a day), 5 occurred (ms), 6 stream max length,
--       7 counts channel
-- Returns { record, 0, day } like attendance_checkin.lua.
local sheet_key, counts_key, checkins_key, requests_key, changes_key =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local request_id, pid, day, session, at = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]

local sessions = redis.call('HGET', sheet_key, 'sessions')
if not sessions then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
if session ~= '' then
  local found = false
  for sid, date in string.gmatch(sessions, '([^@,]+)@([^@,]+)@[^@,]+') do
    if sid == session then found, day = true, date end
  end
  if not found then
    return redis.error_reply('CONVENE NOT_FOUND session_id: ' .. session ..
      ' is not a session of the event')
  end
end
local scope = (session ~= '' and ('session:' .. session) or ('day:' .. day))
local key = scope .. ':online:' .. pid
local existing = redis.call('HGET', checkins_key, key)
if not existing then
  return redis.error_reply('CONVENE FAILED_PRECONDITION no online join of ' ..
    pid .. ' is recorded for ' .. scope)
end
if redis.call('HGET', requests_key, request_id) then return { existing, 1, day } end
local m, src, first, joins, left, walk = string.match(existing,
  '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
if left == '' or tonumber(at) > tonumber(left) then left = at end
local record = table.concat({ m, src, first, joins, left, walk }, '|')
redis.call('HSET', checkins_key, key, record)
local latest = tonumber(redis.call('HGET', counts_key, 'leave:' .. scope) or '0')
if tonumber(at) > latest then redis.call('HSET', counts_key, 'leave:' .. scope, at) end
redis.call('HINCRBY', counts_key, 'version', 1)
redis.call('HSET', requests_key, request_id, pid)
redis.call('XADD', changes_key, 'MAXLEN', '~', ARGV[6], '*',
  'kind', 'checked_out', 'participant', pid, 'scope', scope)
redis.call('PUBLISH', ARGV[7], scope)
return { record, 0, day }
