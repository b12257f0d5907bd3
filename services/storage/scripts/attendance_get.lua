-- One registration with the current waitlist position of each waitlisted day.
-- KEYS: 1 the registration hash
-- ARGV: 1 participant id, 2 waitlist key prefix (+ "<date>:<mode>")
-- Returns { described days ("date=mode=status=position;..."), field, value,
--           ... } or an empty array when there is no registration.
local fields = redis.call('HGETALL', KEYS[1])
if #fields == 0 then return {} end
local days = ''
for i = 1, #fields, 2 do
  if fields[i] == 'days' then days = fields[i + 1] end
end
local out = {}
for date, mode, status in string.gmatch(days, '([^=;]+)=([^=;]+)=([^=;]+)') do
  local pos = 0
  if status == 'waitlisted' then
    local rank = redis.call('ZRANK', ARGV[2] .. date .. ':' .. mode, ARGV[1])
    if rank then pos = rank + 1 end
  end
  out[#out + 1] = date .. '=' .. mode .. '=' .. status .. '=' .. pos
end
local reply = { table.concat(out, ';') }
for i = 1, #fields do reply[#reply + 1] = fields[i] end
return reply
