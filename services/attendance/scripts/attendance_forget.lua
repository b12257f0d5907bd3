-- Erases a participant's personal data (name, e-mail, organisation, city) from
-- their registration for one event; ids, days, modes and counts stay, and
-- the erasure itself is recorded in the event's change stream (ids and the
-- reason only), and the stream entries that carried their contact are
-- deleted (with the notes that carried reasons given for their changes).
-- The person's share of the city and organisation counts moves to the
-- anonymous group of erased people in the same step, so those names leave
-- the keyspace with them. Idempotent.
-- (attendance_lib.lua is joined in front.)
-- ARG: 1 request id, 2 participant id, 3 reason
-- Returns 1 when erased now, 0 when it had been erased before; a retry of
-- the same request returns what the first call returned.
local request_id, pid = ARG(1), ARG(2)
local done, refused = already_done(request_id)
if refused then return refused end
if done then
  -- remember() below kept "pid=result" as the request's participant.
  return tonumber(string.match(done, '=(%d)$') or '0')
end
local reg = load(pid)
if not reg then
  return redis.error_reply('CONVENE NOT_FOUND participant ' .. pid ..
    ' is not registered for the event')
end
if reg.fields.forgotten == '1' then
  remember(request_id, pid .. '=0')
  return 0
end
save(reg, reg.days, { display_name = '', email = '', organisation = '', city = '',
                      forgotten = '1' })
-- The stream entries that carried their contact go too.
erase_contact_entries(reg)
emit('kind', 'participant_forgotten', 'participant', pid, 'reason', ARG(3))
remember(request_id, pid .. '=1')
touched(pid)
return 1
