-- update: replaces status, sessionId, userId, data, items and expiresAt of a live task, checking
-- its version unless forced; moves its index entries along, in one step.
-- KEYS[1] P idx          KEYS[2] P t:<id>
-- ARGV[1] now (ms)       ARGV[2] taskId       ARGV[3] expected version ('' = force)
-- ARGV[4] updatedAt (ms) ARGV[5] expiresAt (ms, '' = none)             ARGV[6] expired tasks to purge
-- ARGV[7] the new document (its version and createdAt are set here, in its fixed-width head)
-- ARGV[8] suffixes of the indexes the task is to be in, joined by \31
-- ARGV[9] its live-until instant (ms, '' = none: see live.lua), its score in exp and ex:<status>
-- ARGV[10] the change feed's retention (ms; feed.lua). Records `updated`.

-- Returns {'OK', createdAt, version} | {'NOT_FOUND'} | {'CONFLICT', stored version}
--       | {'CORRUPT', version text} | {'REFUSED', key, error reply} (nothing written)
local now = tonumber(ARGV[1])
local id, tkey = ARGV[2], KEYS[2]
feed_begin(ARGV[10])

local doc, h = read_live(id, tkey, now, ARGV[3])
if not doc then return h end -- h is the reply then

local x = ARGV[5] ~= '' and ARGV[5] or nil
local l = ARGV[9] ~= '' and ARGV[9] or nil
local rest = ARGV[7]
local s, e, u = string.match(rest, '^{"v":%d+ *\t,"m":%-?%d+ *\t,"s":"(%l+)" *\t,"x":[%-%dnul]+ *\t,"c":%-?%d+ *\t,"e":([^\t]*)\t,"u":([^\t]*)\t')
if not s then return { 'UNEXPECTED' } end

-- index entries. An update that leaves every index set as it was (the usual one) only moves expiry
-- (live-until) scores: it is one when the stored bookkeeping lists exactly the suffixes sent (one string
-- comparison, no walk of the items). Otherwise the other suffixes move (sync, a short list), and
-- the request ids are diffed only when their part of the bookkeeping differs from the one sent
-- (linear in the task's request ids). The bookkeeping is then rewritten as sent.
local text = redis.pcall('HGET', IX, id)
if type(text) == 'table' then return refused(IX, text) end
local version = h.v + 1
-- its change first, so a refused XADD leaves everything as it was; taken back out (XDEL) when an
-- index write below is refused
local change = note('u', id, string.format('%d', version), s, ARGV[4], e, u, h.c)
if type(change) == 'table' then return refused(P .. 'ch', change) end
local bad, reply
if text and text == lex_of(h.c, id) .. '\31' .. ARGV[8] then
  local scored = {}
  if l then scored = { 'exp', 'ex:' .. s } end
  bad, reply = sync(id, nil, scored, scored, ARGV[4], l, h.m, h.lt, nil, true)
else
  local lex, old, old_rids = ix_parts(text, id, h)
  local at = string.find(ARGV[8], '\31rq:', 1, true)
  local new_rids = at and string.sub(ARGV[8], at) or ''
  local new = {}
  for f in string.gmatch(at and string.sub(ARGV[8], 1, at - 1) or ARGV[8], '[^\31]+') do new[#new + 1] = f end
  local added, gone = {}, {}
  if new_rids ~= old_rids then
    local had = {}
    for f in string.gmatch(old_rids, '[^\31]+') do had[f] = true end
    for f in string.gmatch(new_rids, '[^\31]+') do
      if had[f] then
        had[f] = nil
      else
        added[#added + 1] = f .. '\0' .. lex
      end
    end
    for f in pairs(had) do gone[#gone + 1] = f .. '\0' .. lex end
  end
  bad, reply = move_entries(id, lex, old, new, added, gone, ARGV[4], l, h.m, h.lt, lex .. '\31' .. ARGV[8])
end
if bad then
  redis.call('XDEL', P .. 'ch', change)
  return refused(bad, reply)
end
-- the new document as sent, then its version and the stored createdAt in its fixed-width head
-- (written in place: building the whole document in Lua would copy it three times, and those
-- copies, garbage for Lua's collector, cost more than the second call)
redis.call('SET', tkey, ARGV[7])
redis.call('SETRANGE', tkey, 5, head_fixed(string.format('%d', version), ARGV[4], s, x or 'null', h.c))
-- its stored size, measured on the new document with the stored version and createdAt (an update
-- costs O(task) anyway: it writes the whole document)
local hn = parse_doc(rest)
if hn then
  hn.vt, hn.c, hn.m = string.format('%d', version), h.c, ARGV[4]
  redis.pcall('HSET', P .. 'sz', id, doc_size(rest, hn, id))
end
purge(now, tonumber(ARGV[6]), WRITE_PURGE_BUDGET)
return { 'OK', h.c, version }
