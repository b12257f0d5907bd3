-- Deletes expired tokens from a part of the store: ListTokens no longer
-- shows an expired token, so nobody could revoke it by id, and every token
-- ever made would stay in Redis. Each call looks at about ARGV[2] entries
-- after where the last one stopped (an HSCAN cursor kept in KEYS[3]), so
-- making tokens sweeps the whole store again and again, a little each time.
-- KEYS: 1 tokens hash, 2 token ids hash, 3 sweep cursor
-- ARGV: 1 now ms, 2 entries to look at
-- Returns the number of tokens deleted.
local cursor = redis.call('GET', KEYS[3]) or '0'
local page = redis.call('HSCAN', KEYS[1], cursor, 'COUNT', ARGV[2])
local now = tonumber(ARGV[1])
local deleted = 0
local items = page[2]
for i = 1, #items, 2 do
  local entry = items[i + 1]
  local bar1 = string.find(entry, '|', 1, true)
  local bar2 = bar1 and string.find(entry, '|', bar1 + 1, true)
  local expire_ms = bar1 and tonumber(string.sub(entry, 1, bar1 - 1))
  if expire_ms and bar2 and expire_ms <= now then
    redis.call('HDEL', KEYS[1], items[i])
    redis.call('HDEL', KEYS[2], string.sub(entry, bar1 + 1, bar2 - 1))
    deleted = deleted + 1
  end
end
if page[1] == '0' then
  redis.call('DEL', KEYS[3])
else
  redis.call('SET', KEYS[3], page[1])
end
return deleted
