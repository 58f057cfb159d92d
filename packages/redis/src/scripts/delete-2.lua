-- delete: removes a live task and every index entry of it, in one step.
-- KEYS[1] P idx          KEYS[2] P t:<id>
-- ARGV[1] now (ms)       ARGV[2] taskId       ARGV[3] expired tasks to purge
-- ARGV[4] the change feed's retention (ms; feed.lua). Records `deleted` (`expired` for a task it
--         finds past its live-until instant, which it then removes).
-- Returns {'OK'} | {'NOT_FOUND'} | {'CORRUPT', version text}
local now = tonumber(ARGV[1])
local id, tkey = ARGV[2], KEYS[2]
feed_begin(ARGV[4])
local doc = redis.pcall('GET', tkey)
if type(doc) == 'table' then return { 'CORRUPT', '' } end
if not doc then
  -- bookkeeping without a document (damage): take its index entries out
  if redis.pcall('HEXISTS', IX, id) == 1 then drop(id, nil) end
  return { 'NOT_FOUND' }
end
local h = parse_doc(doc)
if not h then return { 'CORRUPT', version_text(doc) } end
local live = is_live(h, id, now)
drop(id, doc, live and 'd' or 'x', now)
if not live then return { 'NOT_FOUND' } end
purge(now, tonumber(ARGV[3]), WRITE_PURGE_BUDGET)
return { 'OK' }
