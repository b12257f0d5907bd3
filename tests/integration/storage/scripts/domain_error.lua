-- Test-only: fails with the domain error code ARGV[1] and message ARGV[2].
return redis.error_reply('CONVENE ' .. ARGV[1] .. ' ' .. ARGV[2])
