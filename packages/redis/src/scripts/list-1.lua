-- list: one bucket's share of a page, in (createdAt, taskId) order, walking ranges of the lex
-- index with a keyset position (read only). Several driving indexes (one per wanted status) are merged.
-- Entries of tasks past their live-until instant (live.lua) or dangling are skipped; other filters
-- are checked per task on its header.
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2] 'asc' | 'desc'     ARGV[3] keyset: lex member to start after ('' = none)
-- ARGV[4] lower bound: '[' or '(' and a lex member prefix ('' = none)   ARGV[5] upper bound ('' = none)
-- ARGV[6] live matches to skip (offset)   ARGV[7] live matches to return
-- ARGV[8] statuses to check, comma-separated ('' = any)
-- ARGV[9] sessionId to check, as JSON ('' = any)   ARGV[10] userId to check, as JSON ('' = any)
-- ARGV[11] number of driving indexes, ARGV[12...] their suffixes (all, st:<s>, ss:<id>, us:<id>)
-- Returns { {lex member, document, ...}, {corrupt taskId, version text, ...} }
local now = tonumber(ARGV[1])
local asc = ARGV[2] == 'asc'
local after, lo, hi = ARGV[3], ARGV[4], ARGV[5]
local skip, take = tonumber(ARGV[6]), tonumber(ARGV[7])
local want_status = nil
if ARGV[8] ~= '' then
  want_status = {}
  for s in string.gmatch(ARGV[8], '[^,]+') do want_status[s] = true end
end
local want_session = ARGV[9] ~= '' and ARGV[9] or nil
local want_user = ARGV[10] ~= '' and ARGV[10] or nil

local batch = math.min(math.max(skip + take, 16), 512)

local cursors = {}
for i = 1, tonumber(ARGV[11]) do
  local suffix = ARGV[11 + i]
  local status = string.sub(suffix, 1, 3) == 'st:' and string.sub(suffix, 4) or nil
  local first, last
  if asc then
    first = after ~= '' and ('(' .. suffix .. '\0' .. after) or lex_bound(suffix, lo, true)
    last = lex_bound(suffix, hi, false)
  else
    first = after ~= '' and ('(' .. suffix .. '\0' .. after) or lex_bound(suffix, hi, false)
    last = lex_bound(suffix, lo, true)
  end
  cursors[i] = { status = status, at = #suffix + 2, buf = {}, pos = 1, from = first, last = last, done = false }
end

-- the lex member of the next entry of a cursor, without consuming it; nil when exhausted
local function peek(c)
  if c.pos > #c.buf then
    if c.done then return nil end
    if asc then
      c.buf = redis.call('ZRANGE', IDX, c.from, c.last, 'BYLEX', 'LIMIT', 0, batch)
    else
      c.buf = redis.call('ZRANGE', IDX, c.from, c.last, 'BYLEX', 'REV', 'LIMIT', 0, batch)
    end
    c.pos = 1
    if #c.buf < batch then c.done = true end
    if #c.buf == 0 then return nil end
    c.from = '(' .. c.buf[#c.buf]
  end
  return string.sub(c.buf[c.pos], c.at)
end

local docs, corrupt = {}, {}
local found = 0
local single = cursors[2] == nil
while found < take do
  local best, best_member
  if single then
    best = cursors[1]
    best_member = peek(best)
    if best_member == nil then break end
  else
    for _, c in ipairs(cursors) do
      local m = peek(c)
      if m and (best == nil or (asc and bytes_less(m, best_member)) or (not asc and bytes_less(best_member, m))) then
        best, best_member = c, m
      end
    end
    if best == nil then break end
  end
  best.pos = best.pos + 1
  local id = string.sub(best_member, 14)
  local doc = redis.pcall('GET', P .. 't:' .. id)
  if type(doc) == 'table' then
    corrupt[#corrupt + 1] = id
    corrupt[#corrupt + 1] = ''
  elseif doc then
    local h = parse_head(doc)
    if not h then
      corrupt[#corrupt + 1] = id
      corrupt[#corrupt + 1] = version_text(doc)
    elseif (best.status == nil or h.s == best.status)
      and (want_status == nil or want_status[h.s])
      and (want_session == nil or h.e == want_session)
      and (want_user == nil or h.u == want_user)
      and is_live(h, id, now) then
      if skip > 0 then
        skip = skip - 1
      else
        found = found + 1
        docs[#docs + 1] = best_member
        docs[#docs + 1] = doc
      end
    end
  end
end
return { docs, corrupt }
