-- Returns the value at KEYS[1], or the domain error NOT_FOUND if it is unset.
local value = redis.call('GET', KEYS[1])
if not value then
  return redis.error_reply('CONVENE NOT_FOUND ' .. KEYS[1] .. ' not found')
end
return value
