-- create: stores a new task with version 1 and registers it in every index, in one step.
-- KEYS[1] P idx          KEYS[2] P t:<id>
-- ARGV[1] now (ms)       ARGV[2] taskId       ARGV[3] the document
-- ARGV[4] its bookkeeping: lex member and the suffixes of the indexes it goes into (all, st:<s>,
--         up:<s>, exp, ex:<s>, ss:, us:, rq:), joined by \31
-- ARGV[5] updatedAt (ms) ARGV[6] its live-until instant (ms, '' = none: see live.lua): its score in
--         exp and ex:<s> (its expiresAt is in the document)             ARGV[7] expired tasks to purge
-- ARGV[8] status         ARGV[9] 'replace': a live task with this id is replaced (restore); else
--         it is EXISTS
-- ARGV[10] its stored size as maxTaskBytes counts it, worked out by the client ('' = measure it here)
-- ARGV[11] the change feed's retention (ms; feed.lua)
-- ARGV[12...] its members of the lex index, "<suffix>\0<lex member>", for the lex suffixes of
--         ARGV[4] (all, st:, ss:, us:, rq:)
-- Records `created` (or `updated` when it replaced a live task; a dead one it replaced is `expired`).
-- Returns {'OK'} | {'REPLACED'} | {'EXISTS'} | {'CORRUPT', version text}
--       | {'REFUSED', key, error reply} (nothing written)
local now = tonumber(ARGV[1])
local id, tkey = ARGV[2], KEYS[2]
feed_begin(ARGV[11])

-- the usual path (a new id): the document is stored at once, and taken back out if an index write fails
local replaced = false
if not redis.call('SET', tkey, ARGV[3], 'NX') then
  local doc = redis.pcall('GET', tkey)
  if type(doc) ~= 'string' then return { 'CORRUPT', '' } end
  local h = parse_doc(doc)
  if not h then return { 'CORRUPT', version_text(doc) } end
  local live = is_live(h, id, now)
  if live and ARGV[9] ~= 'replace' then return { 'EXISTS' } end
  replaced = live
  -- past its live-until instant (it does not exist, and its id is free), or replaced: its entries
  -- go, the new ones come
  drop(id, doc, not live and 'x' or nil, now)
  redis.call('SET', tkey, ARGV[3])
end

-- its index entries: the lex ones in one ZADD, then the scored ones, then the bookkeeping (a new
-- task has no entries to move, so none of sync's diffing). Redis does not roll a script back:
-- when a foreign value under one of these keys refuses a write, what came before is taken out
-- again, the document too, and that key is reported.
local s, m = ARGV[8], ARGV[5]
local x = ARGV[6] ~= '' and ARGV[6] or nil
local scored = { 'up:' .. s, m }
if x then
  scored[3], scored[4] = 'exp', x
  scored[5], scored[6] = 'ex:' .. s, x
end
local reply = idx_call('ZADD', ARGV, 12)
local bad = reply and IDX
local added = {}
if not bad then
  for i = 1, #scored, 2 do
    local r = redis.pcall('ZADD', P .. scored[i], scored[i + 1], id)
    if type(r) == 'table' then
      bad, reply = P .. scored[i], r
      break
    end
    added[#added + 1] = r == 1 and scored[i] or nil
  end
end
if not bad then
  local r = redis.pcall('HSET', IX, id, ARGV[4])
  if type(r) == 'table' then bad, reply = IX, r end
end
if not bad then
  -- its change, last: a refused XADD (a foreign value under P ch) takes the write back out too
  local hd = parse_head(ARGV[3])
  local r = note(replaced and 'u' or 'c', id, hd.vt, s, ARGV[1], hd.e, hd.u, hd.c)
  if type(r) == 'table' then bad, reply = P .. 'ch', r end
end
if bad then
  for _, f in ipairs(added) do redis.call('ZREM', P .. f, id) end
  idx_call('ZREM', ARGV, 12)
  redis.call('DEL', tkey)
  return refused(bad, reply)
end
-- its stored size: the client's (core measured the task it validated, exactly what is stored),
-- saving a second walk of the document here; measured on the document when not sent
local size = ARGV[10] ~= '' and ARGV[10] or doc_size(ARGV[3], parse_doc(ARGV[3]), id)
redis.pcall('HSET', P .. 'sz', id, size)
purge(now, tonumber(ARGV[7]), WRITE_PURGE_BUDGET)
return { replaced and 'REPLACED' or 'OK' }
