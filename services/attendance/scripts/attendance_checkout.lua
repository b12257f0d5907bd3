-- Records that an online participant left a day or a session (a meeting
-- platform's leave report). Keeps the latest leave; the first join stays.
-- (attendance_lib.lua is joined in front.)
-- ARG: 1 request id, 2 participant id, 3 day ("" with a session),
--      4 session id ("" for a day), 5 occurred (ms)
-- Returns { record, 0, day } like attendance_checkin.lua.
local request_id, pid, day, session, at = ARG(1), ARG(2), ARG(3), ARG(4), ARG(5)

local sheet = read_sheet()
if not sheet then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
if session ~= '' then
  local date, _, removed = find_session(sheet, session)
  day = date or day
  if not date then
    return redis.error_reply('CONVENE NOT_FOUND session_id: ' .. session ..
      ' is not a session of the event')
  end
  -- As for check-ins: a removed session's record is kept, not extended.
  if removed then
    return redis.error_reply('CONVENE FAILED_PRECONDITION session_id: ' .. session ..
      ' was removed from the event')
  end
end
local scope = session ~= '' and session_scope(session) or day_scope(day)
local key = check_in_field(scope, 'online', pid)
local existing = redis.call('HGET', EV.checkins, key)
if not existing then
  return redis.error_reply('CONVENE FAILED_PRECONDITION no online join of ' ..
    pid .. ' is recorded for ' .. scope)
end
local done, refused = already_done(request_id)
if refused then return refused end
if done then return { existing, 1, day } end
local late_or_early = outside_check_in_window(sheet, day, at)
if late_or_early then return late_or_early end
local m, src, first, joins, left, walk = string.match(existing,
  '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
if left == '' or tonumber(at) > tonumber(left) then left = at end
local record = table.concat({ m, src, first, joins, left, walk }, '|')
redis.call('HSET', EV.checkins, key, record)
note_online_times(scope, day, nil, tonumber(at))
remember(request_id, pid)
emit('kind', 'checked_out', 'participant', pid, 'scope', scope)
touched(scope)
return { record, 0, day }
