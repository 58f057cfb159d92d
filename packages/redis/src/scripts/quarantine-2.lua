-- quarantine: moves an unreadable task aside for inspection (RENAME within its slot) and removes
-- its index entries and bookkeeping, so the rest of the store keeps working.
-- KEYS[1] P idx          KEYS[2] P t:<id>
-- ARGV[1] taskId         ARGV[2] key suffix "<base64url id>:<ms>"
-- ARGV[3] the version text the reader saw ('' = it could not read one)
-- ARGV[4] now (ms)       ARGV[5] the change feed's retention (ms; feed.lua). Records `deleted`
--         (with what the bookkeeping says when the document is unreadable).
-- Quarantined key: P quarantine:<base64url id>:<ms>
-- Returns {'OK', keys moved} | {'CHANGED'} (rewritten since it was read: nothing done)
local id, tkey = ARGV[1], KEYS[2]
feed_begin(ARGV[5])
local doc = redis.pcall('GET', tkey)
local v = nil
if type(doc) == 'string' then
  v = string.match(doc, '^{"v":(%d+)[ \t]')
  -- the reader saw another version, or none where there is one now: someone rewrote it
  if (v or '') ~= ARGV[3] then return { 'CHANGED' } end
elseif not doc and ARGV[3] ~= '' then
  return { 'CHANGED' }
end
local moved = 0
if redis.call('EXISTS', tkey) == 1 then
  local target = P .. 'quarantine:' .. ARGV[2]
  redis.call('RENAME', tkey, target)
  redis.call('PERSIST', target)
  moved = 1
end
drop(id, type(doc) == 'string' and doc or nil, 'd', ARGV[4])
return { 'OK', moved }
