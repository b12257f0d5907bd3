-- One page of an event's registrations in registration order, filtered.
-- KEYS: 1 registration index (zset: participant id by arrival)
-- ARGV: 1 after score ("" = from the start), 2 page size, 3 mode ("" any),
--       4 status ("" any), 5 city ("" any; exact), 6 day ("" any),
--       7 registration key prefix, 8 waitlist key prefix, 9 most entries to
--       examine
-- A day/mode/status filter matches when some registered day matches all of
-- those given. Returns { next score ("" = last page), registration, ... },
-- each registration as attendance_get.lua returns it.
local after = ARGV[1] ~= '' and ('(' .. ARGV[1]) or '-inf'
local page, want_mode, want_status = tonumber(ARGV[2]), ARGV[3], ARGV[4]
local want_city, want_day = ARGV[5], ARGV[6]
local budget = tonumber(ARGV[9])
local out, last, examined = { '' }, nil, 0
local rows = redis.call('ZRANGE', KEYS[1], after, '+inf', 'BYSCORE', 'LIMIT', 0, budget, 'WITHSCORES')
for i = 1, #rows, 2 do
  local pid, score = rows[i], rows[i + 1]
  examined = examined + 1
  last = score
  local fields = redis.call('HGETALL', ARGV[7] .. pid)
  local f = {}
  for j = 1, #fields, 2 do f[fields[j]] = fields[j + 1] end
  local match = (want_city == '' or f.city == want_city)
  if match and (want_mode ~= '' or want_status ~= '' or want_day ~= '') then
    match = false
    for date, mode, status in string.gmatch(f.days or '', '([^=;]+)=([^=;]+)=([^=;]+)') do
      if (want_day == '' or date == want_day) and (want_mode == '' or mode == want_mode)
         and (want_status == '' or status == want_status) then
        match = true
      end
    end
  end
  if match then
    local described = {}
    for date, mode, status in string.gmatch(f.days or '', '([^=;]+)=([^=;]+)=([^=;]+)') do
      local pos = 0
      if status == 'waitlisted' then
        local rank = redis.call('ZRANK', ARGV[8] .. date .. ':' .. mode, pid)
        if rank then pos = rank + 1 end
      end
      described[#described + 1] = date .. '=' .. mode .. '=' .. status .. '=' .. pos
    end
    local reg = { table.concat(described, ';') }
    for j = 1, #fields do reg[#reg + 1] = fields[j] end
    out[#out + 1] = reg
    if #out - 1 >= page then break end
  end
end
-- More may follow when the page filled up or the budget ran out.
if last and ((#out - 1) >= page or examined >= budget) then out[1] = last end
return out
