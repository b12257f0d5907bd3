-- One page of an event's registrations in registration order, filtered.
--! flags=no-writes
-- (attendance_lib.lua is joined in front.)
-- ARG: 1 after score ("" = from the start), 2 page size, 3 mode ("" any),
--      4 status ("" any), 5 city ("" any; exact), 6 day ("" any),
--      7 most entries to examine
-- A day/mode/status filter matches when some registered day matches all of
-- those given. Returns { next score ("" = last page), registration, ... },
-- each registration as attendance_get.lua returns it.
-- No sheet, no event: as every other attendance script says (an empty
-- list would pass a mistyped id off as an event nobody registered for).
if redis.call('EXISTS', EV.sheet) == 0 then
  return redis.error_reply('CONVENE NOT_FOUND event not found')
end
local after = ARG(1) ~= '' and ('(' .. ARG(1)) or '-inf'
local page, want_mode, want_status = tonumber(ARG(2)), ARG(3), ARG(4)
local want_city, want_day = ARG(5), ARG(6)
local budget = tonumber(ARG(7))
local out, examined = { '' }, 0
local last_returned, last_examined, more = nil, nil, false
-- One row past the budget tells whether the index goes on after it.
local rows = redis.call('ZRANGE', EV.index, after, '+inf', 'BYSCORE', 'LIMIT', 0, budget + 1,
                        'WITHSCORES')
for i = 1, #rows, 2 do
  if examined >= budget then
    more = true
    break
  end
  local pid, score = rows[i], rows[i + 1]
  examined = examined + 1
  last_examined = score
  local flat = redis.call('HGETALL', EV.reg_prefix .. pid)
  local f = {}
  for j = 1, #flat, 2 do f[flat[j]] = flat[j + 1] end
  local reg = #flat > 0 and rule_view(pid, f) or nil
  local match = reg ~= nil and (want_city == '' or f.city == want_city)
  if match and (want_mode ~= '' or want_status ~= '' or want_day ~= '') then
    match = false
    for _, d in ipairs(reg.days) do
      if (want_day == '' or d.date == want_day) and (want_mode == '' or d.mode == want_mode)
         and (want_status == '' or d.status == want_status) then
        match = true
      end
    end
  end
  if match then
    -- A match past a full page: the listing goes on, from this one.
    if #out - 1 >= page then
      more = true
      break
    end
    out[#out + 1] = registration_reply(pid, flat)
    last_returned = score
  end
end
-- The next page starts after the last registration returned, or, when the
-- budget ran out before the page filled, after the last one examined. A
-- listing that ends on a page's end has no next page (no empty last page).
if more then
  out[1] = (#out - 1 >= page) and last_returned or last_examined
end
return out
