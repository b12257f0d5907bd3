-- Erases a participant's personal data (name, e-mail, organisation) from
-- their registration for one event; ids, days, modes and counts stay, and
-- the erasure itself is recorded in the event's change stream (ids and the
-- reason only). Idempotent.
-- KEYS: 1 the registration hash, 2 counters, 3 changes stream
-- ARGV: 1 participant id, 2 reason, 3 now (ms), 4 stream max length
-- Returns 1 when erased now, 0 when it had been erased before.
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('CONVENE NOT_FOUND participant ' .. ARGV[1] ..
    ' is not registered for the event')
end
if redis.call('HGET', KEYS[1], 'forgotten') == '1' then return 0 end
redis.call('HSET', KEYS[1], 'display_name', '', 'email', '', 'organisation', '',
  'forgotten', '1', 'update_ms', ARGV[3])
redis.call('HINCRBY', KEYS[2], 'version', 1)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*',
  'kind', 'participant_forgotten', 'participant', ARGV[1], 'reason', ARGV[2])
return 1
