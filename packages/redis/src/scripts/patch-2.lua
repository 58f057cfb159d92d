-- patch: merges data (replacing whole top-level members), appends items, sets the given fields and
-- moves index entries, checking the version when asked and the size limit (on the exact stored
-- size, kept in P sz), in one step. User JSON is spliced in as sent, never decoded.
-- KEYS[1] P idx          KEYS[2] P t:<id>
-- ARGV[1] now (ms)       ARGV[2] taskId       ARGV[3] expected version ('' = any)
-- ARGV[4] maxTaskBytes   ARGV[5] updatedAt (ms)                        ARGV[6] new status ('' = keep)
-- ARGV[7] sessionId mode: 'k' keep, 'n' set null, 's' set: ARGV[8] the id, ARGV[9] its JSON
-- ARGV[10] userId mode, ARGV[11] id, ARGV[12] JSON (as for sessionId)
-- ARGV[13] expiresAt mode ('k', 'n', 's'), ARGV[14] expiresAt ms
-- ARGV[15] expired tasks to purge
-- ARGV[16] ARGV[17] ARGV[18] the retention of completed, failed and cancelled tasks (ms, '' = kept):
--         the task's live-until instant (see live.lua), its score in exp and ex:<status>, is the
--         earlier of its resulting expiresAt and updatedAt + the retention of its resulting status
-- ARGV[19] the change feed's retention (ms; feed.lua). Records `updated`.
-- ARGV[20...] n, data member * n ('\n<key JSON>\t:<value JSON>'), r, requestId * r (distinct),
--             k, item * k ('\n[<requestId JSON>\t,...]')
-- Returns {'OK', the new document} | {'OK', the old document, its new bytes 6-104, its new end from
--         byte #old - 1 on} | {'NOT_FOUND'} | {'CONFLICT', stored version}
--       | {'TOO_BIG', size after the patch} | {'CORRUPT', version text}
--       | {'REFUSED', key, error reply} (nothing written)
local now = tonumber(ARGV[1])
local id, tkey = ARGV[2], KEYS[2]
feed_begin(ARGV[19])

local doc, h = read_live(id, tkey, now, ARGV[3])
if not doc then return h end -- h is the reply then

local status = ARGV[6] ~= '' and ARGV[6] or h.s
local e = ARGV[7] == 'k' and h.e or (ARGV[7] == 'n' and 'null' or ARGV[9])
local u = ARGV[10] == 'k' and h.u or (ARGV[10] == 'n' and 'null' or ARGV[12])
local xt = ARGV[13] == 'k' and h.xt or (ARGV[13] == 'n' and 'null' or ARGV[14])
local x = xt ~= 'null' and xt or nil
-- its live-until instant, from the status and expiresAt it ends up with (the stored ones when the
-- patch keeps them): the same step that stores the task fixes it
local keep = (status == 'completed' and ARGV[16]) or (status == 'failed' and ARGV[17])
  or (status == 'cancelled' and ARGV[18]) or nil
local l, lt = x and tonumber(x) or nil, xt
if keep and keep ~= '' then
  local deadline = tonumber(ARGV[5]) + tonumber(keep)
  if not l or deadline < l then l, lt = deadline, string.format('%.0f', deadline) end
end
local lx = l and lt or nil

local nd = tonumber(ARGV[20])
local r_at = 21 + nd
local nr = tonumber(ARGV[r_at])
local i_at = r_at + 1 + nr
local ni = tonumber(ARGV[i_at])

-- The new document. Usually (no data, same sessionId and userId) it is the stored one with new
-- fixed-width head fields and the items spliced in before the closing ']}' (no parsing of the
-- document; the client splices the same way, so the reply need not carry it twice). Otherwise it is built whole: the stored data members with the patched ones
-- replaced where they were or added at the end, then the items.
local version = string.format('%d', h.v + 1)
local head = head_fixed(version, ARGV[5], status, xt, h.c)
local added = ni > 0 and table.concat(ARGV, ',', i_at + 1, i_at + ni) or nil
local in_place = nd == 0 and e == h.e and u == h.u and string.sub(doc, 105, 110) == '\t,"e":'
-- the stored size after the patch (see doc.lua): the kept size plus the change of the head fields,
-- of the items (each 39 bytes more than here, plus a comma unless the task had none) and of the data
-- members (each 2 bytes less than here, plus a comma for each new one after the first)
local had_items = string.sub(doc, -3, -3) ~= '['
local old_size = stored_size(doc, h, id)
local size = old_size + #status - #h.s + #e - #h.e + #u - #h.u + #xt - #h.xt + #version - #h.vt + #ARGV[5] - #h.m
if added then size = size + #added + 39 * ni + (had_items and 1 or 0) end
local tail, new_doc
if in_place then
  tail = ']}'
  if added then tail = (had_items and ',' or '') .. added .. ']}' end
else
  local data = string.sub(doc, h.d, h.r - 1)
  if nd > 0 then
    local members, slot = {}, {}
    local pos = 1
    while pos <= #data do
      local key_end = string.find(data, '\t', pos, true)
      if not key_end or string.sub(data, pos, pos) ~= '\n' then return { 'CORRUPT', h.vt } end
      local next_at = string.find(data, ',\n', key_end, true)
      local last = next_at and next_at - 1 or #data
      members[#members + 1] = string.sub(data, pos, last)
      slot[string.sub(data, pos + 1, key_end - 1)] = #members
      pos = last + 2
    end
    for i = 21, 20 + nd do
      local member = ARGV[i]
      local key = string.sub(member, 2, string.find(member, '\t', 2, true) - 1)
      local at = slot[key]
      if at then
        size = size - #members[at] + #member
        members[at] = member
      else
        size = size + #member - 2 + (#members > 0 and 1 or 0)
        members[#members + 1] = member
        slot[key] = #members
      end
    end
    data = table.concat(members, ',')
  end
  local items = string.sub(doc, h.r + 8, -3)
  if added then items = items == '' and added or (items .. ',' .. added) end
  new_doc = '{"v":' .. head .. '\t,"e":' .. e .. '\t,"u":' .. u .. '\t,"d":{' .. data .. '}\r,"i":[' .. items .. ']}'
end
-- a patch that does not grow the task is always allowed
if size > tonumber(ARGV[4]) and size > old_size then return { 'TOO_BIG', size } end

-- index entries. Whether the task already holds a request id is one lookup of its entry in the lex
-- index (O(1)), never a search of the document, and the bookkeeping keeps request ids apart from
-- the other suffixes (ix_parts): appending k items costs O(k log n) however many the task holds,
-- and moving its status, session, user or expiry entries never walks its request ids.
local lex = lex_of(h.c, id)
local added, rids = {}, {}
for i = r_at + 1, r_at + nr do
  local f = 'rq:' .. ARGV[i]
  local member = f .. '\0' .. lex
  local held = redis.pcall('ZSCORE', IDX, member)
  if type(held) == 'table' then return refused(IDX, held) end
  if not held then
    added[#added + 1] = member
    rids[#rids + 1] = f
  end
end
-- its change before any write, so a refused XADD leaves everything as it was; taken back out
-- (XDEL) when an index write below is refused
local change = note('u', id, version, status, ARGV[5], e, u, h.c)
if type(change) == 'table' then return refused(P .. 'ch', change) end
local moves = status ~= h.s or e ~= h.e or u ~= h.u or (lt == 'null') ~= (h.lt == 'null')
local bad, reply
if not moves and #added == 0 then
  -- the usual append: only expiry (live-until) scores move
  local scored = {}
  if l then scored = { 'exp', 'ex:' .. status } end
  bad, reply = sync(id, nil, scored, scored, ARGV[5], lx, h.m, h.lt, nil, true)
else
  local text = redis.pcall('HGET', IX, id)
  if type(text) == 'table' then return refused(IX, text) end
  local old_lex, old, old_rids = ix_parts(text, id, h)
  local new = base_suffixes(status, nil, nil, l)
  for _, f in ipairs(old) do
    local head = string.sub(f, 1, 3)
    if (head == 'ss:' and e == h.e) or (head == 'us:' and u == h.u) then new[#new + 1] = f end
  end
  if e ~= h.e and ARGV[7] == 's' then new[#new + 1] = 'ss:' .. ARGV[8] end
  if u ~= h.u and ARGV[10] == 's' then new[#new + 1] = 'us:' .. ARGV[11] end
  local rid_text = #rids > 0 and ('\31' .. table.concat(rids, '\31')) or ''
  local text = old_lex .. '\31' .. table.concat(new, '\31') .. old_rids .. rid_text
  bad, reply = move_entries(id, old_lex, old, new, added, {}, ARGV[5], lx, h.m, h.lt, text)
end
if bad then
  redis.call('XDEL', P .. 'ch', change)
  return refused(bad, reply)
end

if in_place then
  -- one SET of the spliced text, not SETRANGEs: a SETRANGE past the end grows the stored string
  -- (realloc to twice its size), which measured ~10 us slower per patch than writing it anew
  redis.call('SET', tkey, string.sub(doc, 1, 5) .. head .. string.sub(doc, 105, -3) .. tail)
else
  redis.call('SET', tkey, new_doc)
end
redis.pcall('HSET', P .. 'sz', id, size)
purge(now, tonumber(ARGV[15]), WRITE_PURGE_BUDGET)
-- in place, the client puts the new document together from the old one, the new head and tail
if in_place then return { 'OK', doc, head, tail } end
return { 'OK', new_doc }
