-- sweep: one bounded batch of the background sweeper in one bucket: removes up to a limit of tasks
-- past their live-until instant (the expiry index exp, see live.lua), with their index entries,
-- under the fencing token of the namespace's sweep lease (sweep-lease-1.lua).
-- The fencing check: bucket 0 holds the lease, so there the token must be the lease's own. A
-- script on another bucket cannot read it (another cluster slot), so each bucket keeps the highest
-- token a batch brought, P sweep:fence, refuses a lower one and raises it to its own: once the
-- successor of a holder that stalled past its lease has swept a bucket, the old holder cannot
-- sweep there again, and a sweep walks bucket 0 first, so a holder that already lost the lease
-- when it starts a walk deletes nothing at all.
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2] token       ARGV[3] tasks to remove at most
-- ARGV[4] '1' in bucket 0: check the lease itself    ARGV[5] the change feed's retention (ms; feed.lua)
-- Records `expired` for each task removed.
-- A batch also ends once the tasks it removed had ENTRY_BUDGET index entries (big tasks).
-- Returns {tasks removed, 1 if more may remain else 0}; nothing removed: nil when bucket 0's lease
-- has another token, {'FENCED', fence} when the bucket's fence is above the token.
local token = tonumber(ARGV[2])
feed_begin(ARGV[5])
if ARGV[4] == '1' then
  local held = redis.call('GET', P .. 'sweep:lease')
  if not held or tonumber(string.match(held, '^(%d+):')) ~= token then return false end
end
local fence = P .. 'sweep:fence'
local seen = tonumber(redis.pcall('GET', fence)) or 0
if token < seen then return { 'FENCED', seen } end
local limit = tonumber(ARGV[3])
local removed, spent = purge(tonumber(ARGV[1]), limit)
-- the fence is raised after the removals: while Redis is out of memory it refuses a script's
-- first write that may grow memory, and removing is what frees it (pcall: a refused raise only
-- leaves the fence where it was until the next batch)
if token > seen then redis.pcall('SET', fence, ARGV[2]) end
return { removed, (removed >= limit or spent >= ENTRY_BUDGET) and 1 or 0 }
