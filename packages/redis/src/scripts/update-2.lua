-- update: replaces status, sessionId, userId, data, items and expiresAt of a live task, checking
-- its version unless forced; moves its index entries along, in one step.
-- KEYS[1] P idx          KEYS[2] P t:<id>
-- ARGV[1] now (ms)       ARGV[2] taskId       ARGV[3] expected version ('' = force)
-- ARGV[4] updatedAt (ms) ARGV[5] expiresAt (ms, '' = none)             ARGV[6] expired tasks to purge
-- ARGV[7] the new document (its version and createdAt are set here, in its fixed-width head)
-- ARGV[8] suffixes of the indexes the task is to be in, joined by \31
-- Returns {'OK', createdAt, version} | {'NOT_FOUND'} | {'CONFLICT', stored version}
--       | {'CORRUPT', version text} | {'WRONGTYPE', key}
local now = tonumber(ARGV[1])
local id, tkey = ARGV[2], KEYS[2]

local doc, h = read_live(id, tkey, now, ARGV[3])
if not doc then return h end -- h is the reply then

local x = ARGV[5] ~= '' and ARGV[5] or nil
local rest = ARGV[7]
local s, e, u = string.match(rest, '^{"v":%d+ *\t,"m":%-?%d+ *\t,"s":"(%l+)" *\t,"x":[%-%dnul]+ *\t,"c":%-?%d+ *\t,"e":([^\t]*)\t,"u":([^\t]*)\t')
if not s then return { 'UNEXPECTED' } end

-- the request ids (as JSON) of a document's items, as a set and a count: only items start with
-- '\n[' and their request id ends at the next tab (plain search: Lua patterns scan slowly)
local function request_ids(text)
  local set, n = {}, 0
  local at = string.find(text, '\n[', 1, true)
  while at do
    local stop = string.find(text, '\t', at + 2, true)
    local rid = string.sub(text, at + 2, stop - 1)
    if not set[rid] then
      set[rid] = true
      n = n + 1
    end
    at = string.find(text, '\n[', stop, true)
  end
  return set, n
end

-- an update that leaves every index set as it was (the usual one) only moves expiry scores
local same = s == h.s and e == h.e and u == h.u and (x == nil) == (h.x == nil)
if same then
  local old_rids, old_n = request_ids(doc)
  local new_rids, new_n = request_ids(rest)
  same = old_n == new_n
  if same then
    for rid in pairs(new_rids) do
      if not old_rids[rid] then
        same = false
        break
      end
    end
  end
end
local bad
if same then
  local scored = {}
  if x then scored = { 'exp', 'ex:' .. s } end
  bad = sync(id, nil, scored, scored, ARGV[4], x, h.m, h.xt, nil, true)
else
  local text, lex, old = ix_or_doc(id, h)
  local new = {}
  for f in string.gmatch(ARGV[8], '[^\31]+') do new[#new + 1] = f end
  bad = sync(id, lex, old, new, ARGV[4], x, h.m, h.xt, text, false)
end
if bad then return { 'WRONGTYPE', bad } end
local version = h.v + 1
-- the new document as sent, then its version and the stored createdAt in its fixed-width head
-- (written in place: building the whole document in Lua would copy it three times, and those
-- copies, garbage for Lua's collector, cost more than the second call)
redis.call('SET', tkey, ARGV[7])
redis.call('SETRANGE', tkey, 5, head_fixed(string.format('%d', version), ARGV[4], s, x or 'null', h.c))
purge(now, tonumber(ARGV[6]))
return { 'OK', h.c, version }
