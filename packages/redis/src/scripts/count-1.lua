-- count: live tasks of one bucket matching a filter that needs a walk or a date range (read only;
-- the status-only counts are count-status-1.lua).
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2] mode
-- mode 'range': ARGV[3] lower bound, ARGV[4] upper bound ('[' or '(' and a lex member prefix, '' = none),
--   ARGV[5...] statuses (none = every status).
--   ZLEXCOUNT minus expired-but-not-yet-purged entries in range: O(log n + expired).
-- mode 'walk': ARGV[3] lower bound, ARGV[4] upper bound, ARGV[5] driving index suffix,
--   ARGV[6] statuses to check (comma-separated, '' = any), ARGV[7] sessionId to check as JSON
--   ('' = any), ARGV[8] userId to check as JSON ('' = any). Checks every entry in range: O(k).
-- Returns the count.
local now = tonumber(ARGV[1])
local mode = ARGV[2]

local lo, hi = ARGV[3], ARGV[4]

-- ZRANGE BYLEX bounds of the range of one index between lo and hi
local function bounds(suffix)
  return lex_bound(suffix, lo, true), lex_bound(suffix, hi, false)
end

-- true when a lex member lies inside [lo, hi) as given by the bound specs
local function in_range(lex)
  if lo ~= '' then
    local bound = string.sub(lo, 2)
    if string.sub(lo, 1, 1) == '[' then
      if bytes_less(lex, bound) then return false end
    elseif not bytes_less(bound, lex) then
      return false
    end
  end
  if hi ~= '' then
    local bound = string.sub(hi, 2)
    if string.sub(hi, 1, 1) == '(' then
      if not bytes_less(lex, bound) then return false end
    elseif bytes_less(bound, lex) then
      return false
    end
  end
  return true
end

if mode == 'range' then
  local suffixes = {}
  if #ARGV == 4 then
    suffixes[1] = 'all'
  else
    for i = 5, #ARGV do suffixes[#suffixes + 1] = 'st:' .. ARGV[i] end
  end
  local total = 0
  for _, f in ipairs(suffixes) do total = total + redis.call('ZLEXCOUNT', IDX, bounds(f)) end
  -- expired entries are still indexed until purged: find them through the expiry index
  local from = 0
  while true do
    local ids = redis.call('ZRANGE', P .. 'exp', '-inf', now, 'BYSCORE', 'LIMIT', from, 256)
    for _, id in ipairs(ids) do
      local ix = redis.pcall('HGET', IX, id)
      local lex = type(ix) == 'string' and string.match(ix, '^[^\31]+')
      if lex and in_range(lex) then
        for _, f in ipairs(suffixes) do
          if redis.call('ZSCORE', IDX, f .. '\0' .. lex) then total = total - 1 end
        end
      end
    end
    if #ids < 256 then break end
    from = from + 256
  end
  return total
end

-- mode == 'walk'
local drive = ARGV[5]
local drive_status = string.sub(drive, 1, 3) == 'st:' and string.sub(drive, 4) or nil
local want_status = nil
if ARGV[6] ~= '' then
  want_status = {}
  for s in string.gmatch(ARGV[6], '[^,]+') do want_status[s] = true end
end
local want_session = ARGV[7] ~= '' and ARGV[7] or nil
local want_user = ARGV[8] ~= '' and ARGV[8] or nil
local total = 0
local from, last = bounds(drive)
local at = #drive + 15
while true do
  local members = redis.call('ZRANGE', IDX, from, last, 'BYLEX', 'LIMIT', 0, 512)
  for _, member in ipairs(members) do
    local doc = redis.pcall('GET', P .. 't:' .. string.sub(member, at))
    local h = type(doc) == 'string' and parse_head(doc)
    if h
      and (drive_status == nil or h.s == drive_status)
      and (want_status == nil or want_status[h.s])
      and (want_session == nil or h.e == want_session)
      and (want_user == nil or h.u == want_user)
      and is_live(h, string.sub(member, at), now) then
      total = total + 1
    end
  end
  if #members < 512 then break end
  from = '(' .. members[#members]
end
return total
