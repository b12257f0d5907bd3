-- The webhook sink is done with one outbox entry: every webhook it was for
-- took it or was given up on. Records the notification's delivery state,
-- acknowledges the entry and drops the per-webhook progress, together, so
-- that a crash leaves either all of it to do again or none.
-- KEYS: 1 outbox stream, 2 notification states hash, 3 the notification's
--       webhook progress hash
-- ARGV: 1 consumer group, 2 entry id, 3 notification id, 4 state ('' : none
--       to record, no webhook was for it)
if ARGV[4] ~= '' then
  redis.call('HSET', KEYS[2], ARGV[3], ARGV[4])
end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('DEL', KEYS[3])
return 1
