-- create: stores a new task with version 1 and registers it in every index, in one step.
-- KEYS[1] P idx          KEYS[2] P t:<id>
-- ARGV[1] now (ms)       ARGV[2] taskId       ARGV[3] the document
-- ARGV[4] its bookkeeping: lex member and the suffixes of the indexes it goes into (all, st:<s>,
--         up:<s>, exp, ex:<s>, ss:, us:, rq:), joined by \31
-- ARGV[5] updatedAt (ms) ARGV[6] expiresAt (ms, '' = none)              ARGV[7] expired tasks to purge
-- Returns {'OK'} | {'EXISTS'} | {'CORRUPT', version text} | {'WRONGTYPE', key}
local now = tonumber(ARGV[1])
local id, tkey = ARGV[2], KEYS[2]

-- the usual path (a new id): the document is stored at once, and taken back out if an index write fails
if not redis.call('SET', tkey, ARGV[3], 'NX') then
  local doc = redis.pcall('GET', tkey)
  if type(doc) ~= 'string' then return { 'CORRUPT', '' } end
  local h = parse_doc(doc)
  if not h then return { 'CORRUPT', version_text(doc) } end
  if not h.x or h.x > now then return { 'EXISTS' } end
  -- expired: it does not exist, and its id is free
  drop(id, doc)
  redis.call('SET', tkey, ARGV[3])
end

local lex, new = split_ix(ARGV[4])
local x = ARGV[6] ~= '' and ARGV[6] or nil
local bad = sync(id, lex, {}, new, ARGV[5], x, nil, nil, nil, false)
if bad then
  redis.call('DEL', tkey)
  return { 'WRONGTYPE', bad }
end
purge(now, tonumber(ARGV[7]))
return { 'OK' }
