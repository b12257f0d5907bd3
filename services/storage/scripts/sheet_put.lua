-- Replaces an event's attendance sheet unless the stored one is as new, and
-- carries the registrations along when the event moved to other dates.
-- KEYS: 1 sheet hash, 2 registrations zset, 3 counters hash
-- ARGV: 1 revision, 2 registration key prefix, 3 waitlist key prefix,
--       then field, value, field, value, ...
-- Returns 1 when written, 0 when the stored revision was the same or newer.
--
-- A move keeps the number of days (the workshop is a week later): day i of
-- the old dates becomes day i of the new ones in every registration, in the
-- seat and waitlist counters and in the waitlists, so people keep their
-- seats, modes and places in line. A change in the number of days leaves
-- registrations on their dates (days that still exist keep working; the
-- organiser sees the rest). Check-ins stay on the days they happened.
local stored = tonumber(redis.call('HGET', KEYS[1], 'revision') or '0')
if stored >= tonumber(ARGV[1]) then return 0 end
local old_days = redis.call('HGET', KEYS[1], 'days') or ''
local new_days = ''
for i = 4, #ARGV, 2 do
  if ARGV[i] == 'days' then new_days = ARGV[i + 1] end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'revision', ARGV[1], unpack(ARGV, 4))

local function split(text)
  local out = {}
  for d in string.gmatch(text, '[^,]+') do out[#out + 1] = d end
  return out
end
local old, new = split(old_days), split(new_days)
if #old == 0 or #old ~= #new or old_days == new_days then return 1 end
local moved = {}
for i = 1, #old do moved[old[i]] = new[i] end
local function move_dates(text)
  return (string.gsub(text, '%d%d%d%d%-%d%d%-%d%d', function(d) return moved[d] or d end))
end

-- Registrations: "date=mode=status;..." with each date moved.
for _, pid in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  local key = ARGV[2] .. pid
  local days = redis.call('HGET', key, 'days')
  if days then redis.call('HSET', key, 'days', move_dates(days)) end
end

-- Seat and waitlist counters (also per city and organisation). Read all
-- first: old and new dates may overlap (a move by one day).
local counters = redis.call('HGETALL', KEYS[3])
local renamed = {}
for i = 1, #counters, 2 do
  local field = counters[i]
  if string.find(field, '^reg:') or string.find(field, '^wait:') or
     string.find(field, ':reg:') or string.find(field, ':wait:') then
    local to = move_dates(field)
    if to ~= field then
      redis.call('HDEL', KEYS[3], field)
      renamed[#renamed + 1] = { to, counters[i + 1] }
    end
  end
end
for _, r in ipairs(renamed) do redis.call('HSET', KEYS[3], r[1], r[2]) end
redis.call('HINCRBY', KEYS[3], 'version', 1)

-- Waitlists, with their arrival scores.
local lines = {}
for _, date in ipairs(old) do
  for _, mode in ipairs({ 'in_person', 'online' }) do
    local key = ARGV[3] .. date .. ':' .. mode
    local members = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
    if #members > 0 then
      lines[#lines + 1] = { ARGV[3] .. moved[date] .. ':' .. mode, members }
      redis.call('DEL', key)
    end
  end
end
for _, line in ipairs(lines) do
  for i = 1, #line[2], 2 do redis.call('ZADD', line[1], line[2][i + 1], line[2][i]) end
end
return 1
