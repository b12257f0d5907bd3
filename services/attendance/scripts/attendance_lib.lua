-- attendance_lib.lua: the one definition of every attendance rule that
-- touches a counter, a seat, a waitlist or a registration's days. The build
-- makes each attendance script a Redis function in a library that starts
-- with this file (convene_embed_lua PRELUDE), so each call is still one
-- FCALL and one round trip, the functions below are created once when
-- Redis loads the library, and no script keeps its own copy of a rule.
--
-- Calling convention of every script that includes it (begin() reads it;
-- MakeAttendanceScriptFrame in attendance_script_frame.h builds both lists
-- from keys.h):
--   KEYS: 1 sheet, 2 registration index, 3 counters, 4 check-ins,
--         5 requests, 6 changes stream
--   ARGV: 1 registration key prefix (+ participant id), 2 waitlist key
--         prefix (+ "<date>:<mode>"), 3 presence set prefix (+ "<scope>:
--         <mode>"), 4 counts channel, 5 stream max length, 6 now (ms),
--         7 the request's fingerprint ("" for reads: see already_done);
--         the script's own arguments start at ARGV[8] (ARG(1) below).
-- Redis runs one function at a time, so the call's frame can live in
-- upvalues that begin() sets.
--
-- Counter fields (core/attendance_counts.cc reads them; where each is kept:
-- counter_key below):
--   reg:<date>:<mode>      seats taken        wait:<date>:<mode>  waiting
--   in:<scope>:<mode>      present (scope "day:<date>" or "session:<id>")
--   g:<kind>:<code>:<one of the three above>  the same for one group, kind
--                          "city" or "org", code the group's name in hex
--                          ("~" for the organisation of erased people)
--   walkin:<date>          walk-in check-ins    join:/leave:<scope> times
--   registrations          registrations not cancelled
--   seq (arrival order), version (rises with every change)
-- Dates, modes and session ids are validated by the services ([0-9-], two
-- names, [A-Za-z0-9._-]); group names are caller text and only ever appear
-- hex-encoded, so no city can pose as another counter. A field that falls
-- to zero is deleted, so an erased organisation leaves no trace.
-- A field of one date (reg:, wait:, in:day:, walkin:, join:day:, leave:day:
-- and the same under g:) is kept in that day's hash KEYS[3] .. ':' .. date;
-- every other field (session presence, registrations, seq, version) in
-- KEYS[3] itself. So GetAttendanceCounts of a few days of a year-long
-- event reads those days, not the year (its groups are per day: 60 cities
-- and 60 organisations of 365 days were 44,000 fields, 88 ms of HGETALL).
-- The set KEYS[3] .. ':days' lists (at least) the dates that have a hash,
-- for the audit's recount and repair: a date is added when a call writes to
-- a day hash it did not find a counter in (store_counters), so a check-in
-- or registration on a day already counted adds nothing. KEYS[3]'s field
-- "layout" = "2" marks an event stored so; before, every field was in
-- KEYS[3]: the first call that reads a counter of such an event (any
-- change, or convene-admin resheet) moves its fields
-- (counters_layout_current), values untouched, even when the call then
-- answers an error; until then reads of it read KEYS[3] alone.
local EV, ARGS = {}, nil
-- The call's counters (see "counters" below): values read, net changes, and
-- the fields changed in the order first changed.
local COUNT_READ, COUNT_DELTA, COUNT_MOVED = {}, {}, {}
-- Whether this call made sure the counters are in per-day hashes; the day
-- hashes it read a counter from (they exist, so their dates are listed).
local LAYOUT_CHECKED, DAY_SEEN = false, {}
local ARG_BASE = 7
local function ARG(i) return ARGS[ARG_BASE + i] end

-- Fills the one frame table in place: the hot paths allocate nothing here.
local function begin(keys, argv)
  EV.sheet, EV.index, EV.counts, EV.checkins, EV.requests, EV.changes =
    keys[1], keys[2], keys[3], keys[4], keys[5], keys[6]
  EV.reg_prefix, EV.wait_prefix, EV.presence_prefix, EV.channel, EV.maxlen, EV.now,
    EV.fingerprint = argv[1], argv[2], argv[3], argv[4], argv[5], argv[6], argv[7]
  ARGS = argv
  COUNT_READ, COUNT_DELTA, COUNT_MOVED = {}, {}, {}
  LAYOUT_CHECKED, DAY_SEEN = false, {}
end

local MODES = { 'in_person', 'online' }
local ERASED = '~'

-- Every byte's two hex digits, built on the first call and kept with the
-- library (Redis offers no string library while it loads one). The codes of
-- recent group names are remembered too: a handful of cities and
-- organisations make up most calls. The memo is bounded.
local HEX, CODES, CODE_COUNT = nil, {}, 0
local function hex(text)
  if text == '' then return '' end
  local code = CODES[text]
  if code then return code end
  if not HEX then
    HEX = {}
    for b = 0, 255 do HEX[string.char(b)] = string.format('%02x', b) end
  end
  code = string.gsub(text, '.', HEX)
  if CODE_COUNT >= 1024 then CODES, CODE_COUNT = {}, 0 end
  CODES[text], CODE_COUNT = code, CODE_COUNT + 1
  return code
end

local function split(text, sep)
  local out = {}
  for item in string.gmatch(text or '', '[^' .. sep .. ']+') do out[#out + 1] = item end
  return out
end

-- ---- counter names --------------------------------------------------------
local function seat_field(date, mode) return 'reg:' .. date .. ':' .. mode end
local function wait_field(date, mode) return 'wait:' .. date .. ':' .. mode end
local function presence_field(scope, mode) return 'in:' .. scope .. ':' .. mode end
local function group_field(kind, code, field)
  return 'g:' .. kind .. ':' .. code .. ':' .. field
end
local function day_scope(date) return 'day:' .. date end
local function session_scope(id) return 'session:' .. id end
local function walk_in_field(date) return 'walkin:' .. date end
local function join_field(scope) return 'join:' .. scope end
local function leave_field(scope) return 'leave:' .. scope end
-- Check-in records (the hash KEYS[4]): "<scope>:<mode>:<participant>".
local function check_in_field(scope, mode, pid) return scope .. ':' .. mode .. ':' .. pid end
local function waitlist_key(date, mode) return EV.wait_prefix .. date .. ':' .. mode end
local function presence_key(scope, mode) return EV.presence_prefix .. scope .. ':' .. mode end

-- ---- where counters are kept ---------------------------------------------
local COUNTS_LAYOUT = '2'

-- The date of a per-day counter field, or nil (see the top of this file).
-- Every changed counter is routed twice a call (read, then write), and
-- the same few fields come back call after call (an event's days, modes
-- and groups), so answers are remembered: seven pattern matches a field
-- were about a tenth of a registration's time in Redis. The memo is
-- bounded and holds no event data a call could not compute again.
local DATE_OF, DATE_OF_COUNT = {}, 0
local function counter_date(field)
  local known = DATE_OF[field]
  if known ~= nil then return known or nil end
  local rest = field
  if string.sub(field, 1, 2) == 'g:' then
    rest = string.match(field, '^g:[^:]*:[^:]*:(.*)$') or field
  end
  local date = string.match(rest, '^reg:([^:]+):') or string.match(rest, '^wait:([^:]+):') or
               string.match(rest, '^in:day:([^:]+):') or string.match(rest, '^walkin:(.+)$') or
               string.match(rest, '^join:day:(.+)$') or string.match(rest, '^leave:day:(.+)$')
  if DATE_OF_COUNT >= 4096 then DATE_OF, DATE_OF_COUNT = {}, 0 end
  DATE_OF[field], DATE_OF_COUNT = date or false, DATE_OF_COUNT + 1
  return date
end

local function day_counts_key(date) return EV.counts .. ':' .. date end
local function counted_days_key() return EV.counts .. ':days' end

local function counter_key(field)
  local date = counter_date(field)
  return date and day_counts_key(date) or EV.counts
end

-- { key -> { field, ... } } in the order keys first appear, with the keys.
local function by_counter_key(fields)
  local groups, keys = {}, {}
  for _, field in ipairs(fields) do
    local key = counter_key(field)
    if not groups[key] then groups[key] = {}; keys[#keys + 1] = key end
    local g = groups[key]
    g[#g + 1] = field
  end
  return groups, keys
end

-- Writes counters (field, value, ... ; value 0 deletes) where they are
-- kept, in a store already per-day. A day hash this call found no counter
-- in may be new: its date joins the set of counted days.
local function store_counters(flat)
  local set, gone, keys, dates = {}, {}, {}, {}
  for i = 1, #flat, 2 do
    local field, value = flat[i], tonumber(flat[i + 1])
    local date = counter_date(field)
    local key = date and day_counts_key(date) or EV.counts
    if not set[key] then
      set[key], gone[key] = {}, {}
      keys[#keys + 1] = key
      if date and not DAY_SEEN[key] then dates[#dates + 1] = date end
    end
    if value == 0 then
      gone[key][#gone[key] + 1] = field
    else
      local s = set[key]
      s[#s + 1] = field
      s[#s + 1] = string.format('%d', value)
    end
  end
  -- In slices: Lua's unpack takes a few thousand values at most.
  for _, key in ipairs(keys) do
    local s, g = set[key], gone[key]
    for i = 1, #s, 2000 do redis.call('HSET', key, unpack(s, i, math.min(i + 1999, #s))) end
    for i = 1, #g, 1000 do redis.call('HDEL', key, unpack(g, i, math.min(i + 999, #g))) end
  end
  if #dates > 0 then redis.call('SADD', counted_days_key(), unpack(dates)) end
end

-- Moves the counters of an event stored before per-day hashes into them,
-- once. Every writing path runs it before it reads a counter, so no call
-- ever sees half of each layout. The layout mark is read in one HMGET with
-- the event-wide counters most changes move (touched raises the version; a
-- registration, arrival order and the count) and `extra` (more event-wide
-- fields the caller is about to read), so checking it costs no command.
-- `alone`: read the mark only (a call that reads no counter at all).
local function counters_layout_current(extra, alone)
  if LAYOUT_CHECKED then return end
  LAYOUT_CHECKED = true
  local names = alone and {} or { 'version', 'seq', 'registrations' }
  for _, field in ipairs(extra or {}) do names[#names + 1] = field end
  local values = redis.call('HMGET', EV.counts, 'layout', unpack(names))
  -- Event-wide fields: a move below leaves them where they are.
  for i, field in ipairs(names) do
    if COUNT_READ[field] == nil then COUNT_READ[field] = tonumber(values[i + 1] or '0') end
  end
  if values[1] == COUNTS_LAYOUT then return end
  local flat = redis.call('HGETALL', EV.counts)
  local moved, gone = {}, {}
  for i = 1, #flat, 2 do
    if counter_date(flat[i]) then
      moved[#moved + 1] = flat[i]
      moved[#moved + 1] = flat[i + 1]
      gone[#gone + 1] = flat[i]
    end
  end
  for i = 1, #gone, 1000 do
    redis.call('HDEL', EV.counts, unpack(gone, i, math.min(i + 999, #gone)))
  end
  for i = 1, #moved, 2000 do
    store_counters({ unpack(moved, i, math.min(i + 1999, #moved)) })
  end
  redis.call('HSET', EV.counts, 'layout', COUNTS_LAYOUT)
end

-- Every stored counter of the event as { field -> value } (the audit's
-- view), in either layout; `dates` are read besides the days the set of
-- counted days lists.
local function all_counters(dates)
  local out = {}
  local function take(flat)
    for i = 1, #flat, 2 do out[flat[i]] = tonumber(flat[i + 1]) end
  end
  take(redis.call('HGETALL', EV.counts))
  local split = out.layout ~= nil
  out.layout = nil
  if not split then return out end
  local seen = {}
  for _, date in ipairs(redis.call('SMEMBERS', counted_days_key())) do seen[date] = true end
  for _, date in ipairs(dates) do seen[date] = true end
  for date in pairs(seen) do take(redis.call('HGETALL', day_counts_key(date))) end
  return out
end

-- Deletes every counter of the event (the audit's repair rewrites them).
local function delete_counters()
  DAY_SEEN = {}
  for _, date in ipairs(redis.call('SMEMBERS', counted_days_key())) do
    redis.call('DEL', day_counts_key(date))
  end
  redis.call('DEL', EV.counts, counted_days_key())
end

-- ---- counters --------------------------------------------------------------
-- A call gathers its counter changes and writes them once, at its end
-- (write_counters, from touched): one HMGET for the fields it has not read
-- yet, one HSET, and one HDEL for fields that fall to zero, however many
-- counters the change moves (a two-day registration moves nine). Reads
-- within the call see the changes made so far. Redis runs one call at a
-- time, so reading first and writing last is the same as incrementing in
-- place; a call that returns an error before it writes changes no counter.
local function read_counters(fields)
  local missing = {}
  for _, field in ipairs(fields) do
    if COUNT_READ[field] == nil then missing[#missing + 1] = field end
  end
  if #missing == 0 then return end
  local groups, keys = by_counter_key(missing)
  counters_layout_current(groups[EV.counts])
  for _, key in ipairs(keys) do
    local wanted = {}
    for _, field in ipairs(groups[key]) do
      if COUNT_READ[field] == nil then wanted[#wanted + 1] = field end
    end
    if #wanted > 0 then
      local values = redis.call('HMGET', key, unpack(wanted))
      for i, field in ipairs(wanted) do
        local v = values[i]
        if v then DAY_SEEN[key] = true end
        COUNT_READ[field] = tonumber(v or '0')
      end
    end
  end
end

local function counter(field)
  if COUNT_READ[field] == nil then counters_layout_current() end
  if COUNT_READ[field] == nil then
    local key = counter_key(field)
    local v = redis.call('HGET', key, field)
    if v then DAY_SEEN[key] = true end
    COUNT_READ[field] = tonumber(v or '0')
  end
  return COUNT_READ[field] + (COUNT_DELTA[field] or 0)
end

local function bump(field, by)
  if by == 0 then return end
  local was = COUNT_DELTA[field]
  if was == nil then COUNT_MOVED[#COUNT_MOVED + 1] = field end
  COUNT_DELTA[field] = (was or 0) + by
end

-- Sets a counter (the online join and leave times) through the same write.
local function set_counter(field, value) bump(field, value - counter(field)) end

local function next_seq()
  bump('seq', 1)
  return counter('seq')
end

local function write_counters()
  local changed, unread = {}, {}
  for _, field in ipairs(COUNT_MOVED) do
    if COUNT_DELTA[field] == 0 then
      COUNT_DELTA[field] = nil
    elseif COUNT_READ[field] == nil then
      unread[#unread + 1] = field
    else
      changed[#changed + 1] = field
    end
  end
  COUNT_MOVED = {}
  if #unread > 0 then
    -- A counter the call never read (a check-in's presence counters) is
    -- moved in place: reading it only to write it back cost Redis more
    -- than the HINCRBY. Its answer also tells whether the field was new,
    -- so whether its day's hash may be new (store_counters' rule).
    counters_layout_current(nil, true)
    local dates = {}
    for _, field in ipairs(unread) do
      local date = counter_date(field)
      local key = date and day_counts_key(date) or EV.counts
      local by = COUNT_DELTA[field]
      local value = redis.call('HINCRBY', key, field, by)
      if value ~= by then DAY_SEEN[key] = true end
      if value == 0 then redis.call('HDEL', key, field) end
      COUNT_READ[field], COUNT_DELTA[field] = value, nil
      if date then dates[date] = key end
    end
    local listed = {}
    for date, key in pairs(dates) do
      if not DAY_SEEN[key] then listed[#listed + 1] = date end
    end
    if #listed > 0 then redis.call('SADD', counted_days_key(), unpack(listed)) end
  end
  if #changed == 0 then return end
  read_counters(changed)
  local flat = {}
  for _, field in ipairs(changed) do
    local value = COUNT_READ[field] + COUNT_DELTA[field]
    COUNT_READ[field], COUNT_DELTA[field] = value, nil
    flat[#flat + 1] = field
    flat[#flat + 1] = value
  end
  store_counters(flat)
end

-- ---- the sheet -----------------------------------------------------------
-- Sessions as { id, date, format } from "id@date@format,...".
local function sessions_of(text)
  local out = {}
  for id, date, format in string.gmatch(text or '', '([^@,]+)@([^@,]+)@([^@,]+)') do
    out[#out + 1] = { id = id, date = date, format = format }
  end
  return out
end

-- A sheet as the rules see it: its fields by name.
local function sheet_of(flat)
  local s = {}
  for i = 1, #flat, 2 do s[flat[i]] = flat[i + 1] end
  return s
end

-- The event's days in order, split on first use (check-ins never need it).
local function days_of(sheet)
  if not sheet.day_list then sheet.day_list = split(sheet.days, ',') end
  return sheet.day_list
end

-- Whether the event takes `mode` attendance at all.
local function offers(sheet, mode)
  return sheet.format == 'hybrid' or sheet.format == mode
end

-- Seats in `mode` per day (0: unlimited).
local function capacity(sheet, mode)
  return tonumber((mode == 'online' and sheet.online_capacity or sheet.in_person_capacity) or '0')
end

-- Current sessions, then removed ones (removed = true): check-ins of a
-- removed session stay counted under it. Parsed only by the scripts that
-- need every session.
local function every_session(sheet)
  local out = sessions_of(sheet.sessions)
  for _, removed in ipairs(sessions_of(sheet.removed_sessions)) do
    removed.removed = true
    out[#out + 1] = removed
  end
  return out
end

-- The sheet fields the rules read (not the session titles): the check-in
-- windows of its days first (Redis offers no unpack while it loads a
-- library, so the list is written out).
local RULE_SHEET_FIELDS = { 'check_in_windows', 'revision', 'cancelled', 'format', 'days',
                            'in_person_capacity', 'online_capacity', 'walk_ins', 'sessions',
                            'removed_sessions' }

-- The sheet's rule fields are also kept packed in one field ("rules",
-- written by sheet_put.lua with pack_sheet_rules), so a check-in reads one
-- value instead of ten; each packed text is parsed once per library load:
-- PARSED maps the text to its sheet. The text holds the revision and every
-- rule field, so a changed sheet is a new text and the memo cannot go
-- stale. Parsed sheets are shared between calls: callers only read them
-- (and the lookups below add derived indexes). Bounded.
local PARSED, PARSED_COUNT = {}, 0
local PACK_SEP = '\0'  -- no rule field holds a NUL: the service writes them

local function pack_sheet_rules()
  local values = redis.call('HMGET', EV.sheet, unpack(RULE_SHEET_FIELDS))
  local parts = {}
  for i = 1, #RULE_SHEET_FIELDS do
    parts[i] = values[i] and ('=' .. values[i]) or ''
  end
  redis.call('HSET', EV.sheet, 'rules', table.concat(parts, PACK_SEP))
end

local function unpack_sheet_rules(packed)
  local s, i, start = {}, 1, 1
  while true do
    local stop = string.find(packed, PACK_SEP, start, true)
    local item = string.sub(packed, start, (stop or 0) - 1)
    if item ~= '' and RULE_SHEET_FIELDS[i] then s[RULE_SHEET_FIELDS[i]] = string.sub(item, 2) end
    if not stop then return s end
    start, i = stop + 1, i + 1
  end
end

-- The sheet, or nil. A sheet written before "rules" existed is read field
-- by field (convene-admin resheet packs it).
local function read_sheet()
  local packed = redis.call('HGET', EV.sheet, 'rules')
  if packed then
    local s = PARSED[packed]
    if not s then
      if PARSED_COUNT >= 256 then PARSED, PARSED_COUNT = {}, 0 end
      s = unpack_sheet_rules(packed)
      PARSED[packed], PARSED_COUNT = s, PARSED_COUNT + 1
    end
    return s
  end
  local values = redis.call('HMGET', EV.sheet, unpack(RULE_SHEET_FIELDS))
  if not values[2] then return nil end  -- no revision: no sheet
  local s = {}
  for i, name in ipairs(RULE_SHEET_FIELDS) do
    if values[i] then s[name] = values[i] end
  end
  return s
end

-- Whether `date` is a day of the event.
local function is_day(sheet, date)
  if not sheet.day_set then
    local set = {}
    for _, d in ipairs(days_of(sheet)) do set[d] = true end
    sheet.day_set = set
  end
  return sheet.day_set[date] == true
end

-- One session's date, format and whether it was removed, or nil.
local function find_session(sheet, id)
  if not sheet.session_index then
    local index = {}
    for _, s in ipairs(every_session(sheet)) do index[s.id] = s end
    sheet.session_index = index
  end
  local s = sheet.session_index[id]
  if not s then return nil end
  return s.date, s.format, s.removed == true
end

-- Nil when `at` (ms) falls in the check-in window of `date`, else the
-- error to answer. A sheet written before windows existed has none, and
-- then every time is accepted.
local function outside_check_in_window(sheet, date, at)
  if not sheet.check_in_windows then return nil end
  if not sheet.window_index then
    local index = {}
    for day, from, untl, from_text, until_text in string.gmatch(sheet.check_in_windows,
        '([^|;]+)|(-?%d+)|(-?%d+)|([^|;]*)|([^|;]*)') do
      index[day] = { tonumber(from), tonumber(untl), from_text, until_text }
    end
    sheet.window_index = index
  end
  local w = sheet.window_index[date]
  if not w then return nil end
  local t = tonumber(at)
  if t >= w[1] and t <= w[2] then return nil end
  return redis.error_reply('CONVENE FAILED_PRECONDITION occurred_time: check-ins for ' ..
    date .. ' are accepted from ' .. w[3] .. ' to ' .. w[4] ..
    ' (the event\'s check_in_margin around the day); the check-in time (occurred_time, ' ..
    'or now when unset) is ' .. (t < w[1] and 'before' or 'after') .. ' that')
end

local function has_seat(sheet, date, mode)
  local cap = capacity(sheet, mode)
  return cap == 0 or counter(seat_field(date, mode)) < cap
end

-- ---- registrations -------------------------------------------------------
local function parse_days(text)
  local days = {}
  for date, mode, status in string.gmatch(text or '', '([^=;]+)=([^=;]+)=([^=;]+)') do
    days[#days + 1] = { date = date, mode = mode, status = status }
  end
  return days
end

local function copy_days(days)
  local out = {}
  for i, d in ipairs(days) do out[i] = { date = d.date, mode = d.mode, status = d.status } end
  return out
end

local function by_date(a, b) return a.date < b.date end

local function encode_days(days)
  table.sort(days, by_date)
  local parts, all_cancelled, any_waiting = {}, true, false
  for _, d in ipairs(days) do
    parts[#parts + 1] = d.date .. '=' .. d.mode .. '=' .. d.status
    if d.status ~= 'cancelled' then all_cancelled = false end
    if d.status == 'waitlisted' then any_waiting = true end
  end
  local overall = all_cancelled and 'cancelled' or (any_waiting and 'waitlisted' or 'confirmed')
  return table.concat(parts, ';'), overall
end

local function groups_of(fields)
  return {
    -- A city or organisation of one would name the erased person.
    city = fields.forgotten == '1' and ERASED or hex(fields.city or ''),
    org = fields.forgotten == '1' and ERASED or hex(fields.organisation or ''),
  }
end

-- The fields of a registration hash the rules read.
local RULE_FIELDS = { 'days', 'status', 'revision', 'city', 'organisation', 'forgotten',
                      'present', 'all_days_mode', 'contact_entries' }

local function rule_view(pid, f)
  return { pid = pid, fields = f, days = parse_days(f.days),
           groups = groups_of(f), present = split(f.present, ',') }
end

-- A registration as the rules see it, or nil.
local function load(pid)
  local values = redis.call('HMGET', EV.reg_prefix .. pid, unpack(RULE_FIELDS))
  if not values[1] then return nil end
  local f = {}
  for i, name in ipairs(RULE_FIELDS) do
    if values[i] then f[name] = values[i] end
  end
  return rule_view(pid, f)
end

-- A registration as a check-in sees it: its days text, groups and where it
-- was present (count_presence's argument), or nil. Five fields, not load's
-- nine, and no days parsed: check-ins are the hottest call.
local PRESENCE_FIELDS = { 'days', 'city', 'organisation', 'forgotten', 'present' }

local function load_presence(pid)
  local v = redis.call('HMGET', EV.reg_prefix .. pid, unpack(PRESENCE_FIELDS))
  if not v[1] then return nil end
  local f = { days = v[1], city = v[2], organisation = v[3], forgotten = v[4], present = v[5] }
  return { pid = pid, fields = f, groups = groups_of(f), present = split(f.present, ',') }
end

-- The mode `days_text` (a registration's "days") holds a seat or place in
-- on `date` when that day is confirmed, else nil.
local function held_mode(days_text, date)
  local at = string.find(';' .. days_text, ';' .. date .. '=', 1, true)
  if not at then return nil end
  local mode, status = string.match(days_text, '^[^=;]+=([^=;]+)=([^=;]+)', at)
  if status ~= 'confirmed' then return nil end
  return mode
end

-- Adds sign x the counters a registration state stands for to the call's
-- counters, or to `tally` when given (the audit's own recount).
local function add(tally, field, sign)
  if tally then tally[field] = (tally[field] or 0) + sign else bump(field, sign) end
end

local function contribution(state, tally, sign)
  if not state then return end
  local city, org = state.groups.city, state.groups.org
  local active = false
  for _, d in ipairs(state.days) do
    local status = d.status
    if status ~= 'cancelled' then
      active = true
      local field = status == 'confirmed' and seat_field(d.date, d.mode) or wait_field(d.date, d.mode)
      add(tally, field, sign)
      add(tally, group_field('city', city, field), sign)
      add(tally, group_field('org', org, field), sign)
    end
  end
  if active then add(tally, 'registrations', sign) end
  -- Presence counts under the groups (the totals are facts of check-ins and
  -- do not depend on the registration).
  for _, p in ipairs(state.present) do
    add(tally, group_field('city', city, 'in:' .. p), sign)
    add(tally, group_field('org', org, 'in:' .. p), sign)
  end
end

-- Whether `days` waits in the (date, mode) line (days are few: a scan).
local function waits_in(days, date, mode)
  for _, d in ipairs(days) do
    if d.status == 'waitlisted' and d.date == date and d.mode == mode then return true end
  end
  return false
end

-- THE rule for every change of a registration: `before` -> `after` (either
-- may be nil), each { days, groups, present }. Moves every counter (seats,
-- waitlists, per city and organisation, presence under the groups,
-- registrations) and the waitlists themselves: a day that stops waiting
-- leaves its line, a day that starts waiting joins the end of it.
local function apply(pid, before, after)
  -- Counters net out in the call's buffer: only what moved is written.
  contribution(before, nil, -1)
  contribution(after, nil, 1)
  -- Waitlists: (date, mode) slots left and joined.
  local before_days = before and before.days or {}
  local after_days = after and after.days or {}
  for _, d in ipairs(before_days) do
    if d.status == 'waitlisted' and not waits_in(after_days, d.date, d.mode) then
      redis.call('ZREM', waitlist_key(d.date, d.mode), pid)
    end
  end
  for _, a in ipairs(after_days) do
    if a.status == 'waitlisted' and not waits_in(before_days, a.date, a.mode) then
      redis.call('ZADD', waitlist_key(a.date, a.mode), next_seq(), pid)
    end
  end
end

local function emit(...)
  return redis.call('XADD', EV.changes, 'MAXLEN', '~', EV.maxlen, '*', ...)
end

-- Personal data in the change stream. Each registration_created entry is
-- followed by a participant_contact entry with the participant's contact
-- (these fields of the registration) and the registration's days and
-- revision, for the services that keep their own copy of registrations
-- (notification, to remind them). The calendar's change feed does not
-- relay it. The ids of the contact entries are kept with the registration
-- ("contact_entries"), so that erasing the person deletes each one still in
-- the stream (erase_contact_entries) while every other entry stays.
-- storage/attendance_stream_format.h names the same fields for readers.
local CONTACT_FIELDS = { 'display_name', 'email', 'time_zone', 'language' }

local function stream_id_less(a, b)
  local a_ms, a_seq = string.match(a, '^(%d+)-(%d+)$')
  local b_ms, b_seq = string.match(b, '^(%d+)-(%d+)$')
  a_ms, b_ms = tonumber(a_ms), tonumber(b_ms)
  if a_ms ~= b_ms then return a_ms < b_ms end
  return tonumber(a_seq) < tonumber(b_seq)
end

-- "date=mode=status=position;...": each waitlisted day of the stored days
-- text with its 1-based place in line.
local function describe(pid, days_text)
  local out = {}
  for date, mode, status in string.gmatch(days_text or '', '([^=;]+)=([^=;]+)=([^=;]+)') do
    local pos = 0
    if status == 'waitlisted' then
      local rank = redis.call('ZRANK', waitlist_key(date, mode), pid)
      if rank then pos = rank + 1 end
    end
    out[#out + 1] = date .. '=' .. mode .. '=' .. status .. '=' .. pos
  end
  return table.concat(out, ';')
end

-- Adds the participant_contact entry of `reg` (as loaded; `fields` the
-- values written now, `text` and `revision` what save writes) and returns
-- the registration's field that keeps its id ("contact_entries", value),
-- for save to write with the rest, and the days as described.
local function emit_contact(reg, fields, text, revision)
  -- With each waitlisted day's place in line: what the registration notice
  -- tells the participant (the notification service follows this entry).
  local described = describe(reg.pid, text)
  local entry = { 'kind', 'participant_contact', 'participant', reg.pid,
                  'days', described, 'revision', revision }
  for _, name in ipairs(CONTACT_FIELDS) do
    entry[#entry + 1] = name
    entry[#entry + 1] = fields[name] or ''
  end
  local id = emit(unpack(entry))
  local kept = {}
  local earlier = reg.fields.contact_entries
  if earlier and earlier ~= '' then
    -- Entries the stream trimmed meanwhile need no erasing any more.
    local first = redis.call('XRANGE', EV.changes, '-', '+', 'COUNT', 1)[1]
    for _, old in ipairs(split(earlier, ' ')) do
      if first and not stream_id_less(old, first[1]) then kept[#kept + 1] = old end
    end
  end
  kept[#kept + 1] = id
  reg.fields.contact_entries = table.concat(kept, ' ')
  return 'contact_entries', reg.fields.contact_entries, described
end

-- The caller's reason for a change of `pid`'s registration (entry `of`),
-- free text about the person, goes in a participant_note entry of its own
-- listed with the contact entries, so that erasing the person deletes it
-- too; the change's own entry stays. Nothing for an empty reason.
local function emit_note(pid, of, reason)
  if reason == '' then return end
  local id = emit('kind', 'participant_note', 'participant', pid, 'of', of, 'reason', reason)
  local key = EV.reg_prefix .. pid
  local earlier = redis.call('HGET', key, 'contact_entries')
  redis.call('HSET', key, 'contact_entries',
    (earlier and earlier ~= '') and (earlier .. ' ' .. id) or id)
end

-- Deletes the stream entries that still hold the contact of `reg`.
local function erase_contact_entries(reg)
  local ids = split(reg.fields.contact_entries, ' ')
  if #ids > 0 then redis.call('XDEL', EV.changes, unpack(ids)) end
  redis.call('HDEL', EV.reg_prefix .. reg.pid, 'contact_entries')
  return #ids
end

-- The end of every call that changed the event: its counters are written
-- with the version raised, then watchers are told.
local function touched(payload)
  bump('version', 1)
  write_counters()
  redis.call('PUBLISH', EV.channel, payload)
end

-- Writes reg (as loaded) with new days (and optional extra hash fields),
-- applying the change to every counter. `announce(text, revision)`, when
-- given, runs just before the write (to add stream entries that must come
-- first) and may return one more field and value to write with the rest.
-- Returns the new revision, the days text and the hash fields written
-- (name, value, ...).
local function save(reg, days, extra, announce)
  local after = { days = days, groups = reg.groups, present = reg.present }
  if extra and (extra.city or extra.organisation or extra.forgotten) then
    local f = reg.fields
    after.groups = groups_of({
      city = extra.city or f.city,
      organisation = extra.organisation or f.organisation,
      forgotten = extra.forgotten or f.forgotten,
    })
  end
  apply(reg.pid, reg, after)
  local text, overall = encode_days(days)
  local revision = tostring(tonumber(reg.fields.revision or '0') + 1)
  local written = { 'days', text, 'status', overall, 'revision', revision, 'update_ms', EV.now }
  if extra then
    for k, v in pairs(extra) do written[#written + 1] = k; written[#written + 1] = v end
  end
  if announce then
    local name, value = announce(text, revision)
    if name then written[#written + 1] = name; written[#written + 1] = value end
  end
  redis.call('HSET', EV.reg_prefix .. reg.pid, unpack(written))
  reg.fields.revision = revision
  return revision, text, written
end

-- A seat in (date, mode) when it has room, else the end of its waitlist.
local function place(sheet, date, mode)
  return has_seat(sheet, date, mode) and 'confirmed' or 'waitlisted'
end

-- Moves heads of the (date, mode) waitlist to seats while there is room.
local function promote(sheet, date, mode)
  local line = waitlist_key(date, mode)
  while has_seat(sheet, date, mode) do
    local head = redis.call('ZRANGE', line, 0, 0)
    if #head == 0 then return end
    local reg = load(head[1])
    local days, changed = copy_days(reg and reg.days or {}), false
    for _, d in ipairs(days) do
      if d.date == date and d.mode == mode and d.status == 'waitlisted' then
        d.status, changed = 'confirmed', true
      end
    end
    if not changed then
      -- Not waiting there after all: never loop on a stray entry.
      redis.call('ZREM', line, head[1])
    else
      local revision, text = save(reg, days)
      emit('kind', 'registration_promoted', 'participant', reg.pid, 'date', date,
        'mode', mode, 'days', text, 'revision', revision)
    end
  end
end

local function promote_all(sheet)
  for _, date in ipairs(days_of(sheet)) do
    for _, mode in ipairs(MODES) do
      if offers(sheet, mode) then promote(sheet, date, mode) end
    end
  end
end

-- { described days, field, value, ... } or {} when there is none.
local function registration_reply(pid, flat)
  flat = flat or redis.call('HGETALL', EV.reg_prefix .. pid)
  if #flat == 0 then return {} end
  local days = ''
  for i = 1, #flat, 2 do
    if flat[i] == 'days' then days = flat[i + 1] end
  end
  return { describe(pid, days), unpack(flat) }
end

-- ---- presence ------------------------------------------------------------
-- Counts a first check-in of reg for (scope, mode) on `day` (the scope's
-- day): the total and group counters, the unique-headcount sets, and the
-- registration's own list of where it was present (so that a change of its
-- groups moves its presence with it).
local function count_presence(reg, scope, day, mode)
  local entry = scope .. ':' .. mode
  bump(presence_field(scope, mode), 1)
  bump(group_field('city', reg.groups.city, 'in:' .. entry), 1)
  bump(group_field('org', reg.groups.org, 'in:' .. entry), 1)
  redis.call('SADD', presence_key(scope, mode), reg.pid)
  -- Present at a session is present that day, for the daily headcount.
  if scope ~= day_scope(day) then redis.call('SADD', presence_key(day_scope(day), mode), reg.pid) end
  reg.present[#reg.present + 1] = entry
  redis.call('HSET', EV.reg_prefix .. reg.pid, 'present', table.concat(reg.present, ','))
end

-- Online presence times of a scope and, for a session, of its day too (the
-- day's headcount covers its sessions): the earliest join and the latest
-- leave.
local function note_online_times(scope, day, join_ms, leave_ms)
  for _, s in ipairs(scope == day_scope(day) and { scope } or { scope, day_scope(day) }) do
    if join_ms then
      local earliest = counter(join_field(s))
      if earliest == 0 or join_ms < earliest then set_counter(join_field(s), join_ms) end
    end
    if leave_ms and leave_ms > counter(leave_field(s)) then
      set_counter(leave_field(s), leave_ms)
    end
  end
end

-- The participant a request id was used for, or nil when it is new; and
-- an error reply, which the caller returns, when it came with a different
-- request: the frame's fingerprint (a hash of what the caller chose,
-- computed by the service) differs from the one kept with the id. Third:
-- the first answer's gist as remember() kept it (nil when none was).
local function already_done(request_id)
  local seen = redis.call('HGET', EV.requests, request_id)
  if not seen then return nil end
  local pid, was, first = string.match(seen, '^(%S+) (%x+) ?(.*)$')
  if was and EV.fingerprint ~= '' and was ~= EV.fingerprint then
    return nil, redis.error_reply('CONVENE INVALID_ARGUMENT request_id: ' .. request_id ..
      ' was already used for a different request; a retry must repeat the request ' ..
      'exactly, a new request needs a new request_id')
  end
  if first == '' then first = nil end
  return pid or seen, nil, first
end

-- Keeps the request id with its participant (and fingerprint) and, given
-- `reply` (a registration reply: described days, field, value, ...), the
-- gist of the first answer: a retry returns the registration as this call
-- left it, not as later calls made it.
local function remember(request_id, pid, reply)
  local fp = EV.fingerprint
  local value = fp ~= '' and (pid .. ' ' .. fp) or pid
  if reply and fp ~= '' then
    local f = {}
    for i = 2, #reply - 1, 2 do f[reply[i]] = reply[i + 1] end
    value = value .. ' ' .. table.concat({ reply[1], f.status or '', f.revision or '',
                                           f.create_ms or '', f.update_ms or '',
                                           f.walk_in or '0' }, '|')
  end
  redis.call('HSET', EV.requests, request_id, value)
end

-- The reply to a retry of a registration change: the first answer's days,
-- status, revision and times (remember()), the rest as the registration is
-- now. Without a kept answer (an id from before answers were kept), the
-- registration as it is now.
local function first_reply(pid, first)
  local days, status, revision, create_ms, update_ms, walk_in =
    string.match(first or '', '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if not days then return registration_reply(pid) end
  local flat = redis.call('HGETALL', EV.reg_prefix .. pid)
  local kept = { status = status, revision = revision, update_ms = update_ms }
  local reply = { days }
  for i = 1, #flat, 2 do
    reply[#reply + 1] = flat[i]
    reply[#reply + 1] = kept[flat[i]] or flat[i + 1]
  end
  return reply
end

-- A retry of Register: the first answer alone (the participant fields are
-- the request's, which the service fills in, as for a first registration).
local function first_registration_reply(pid, first)
  local days, status, revision, create_ms, update_ms, walk_in =
    string.match(first or '', '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if not days then return registration_reply(pid) end
  return { days, 'status', status, 'revision', revision, 'create_ms', create_ms,
           'update_ms', update_ms, 'walk_in', walk_in }
end
