-- cleanup: one bounded batch of cleanup in one bucket: expired tasks first, then tasks whose
-- updatedAt is before the cutoff (terminal statuses only, unless active ones are included),
-- found through the up:<status> indexes without scanning anything else. An entry's score is the
-- updatedAt of when the task got its status, a lower bound: a task written since is not removed
-- but its entry is moved to its real updatedAt, so each entry is looked at once per cutoff.
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2] cutoff (ms, exclusive)    ARGV[3] '1' = include active statuses
-- ARGV[4] batch size      ARGV[5] the change feed's retention (ms; feed.lua)
-- Records `deleted` for each task removed (`expired` for those past their live-until instant).
-- A batch also ends once the tasks it removed had ENTRY_BUDGET index entries (big tasks).
-- Returns {tasks removed, 1 if more may remain else 0}
local now = tonumber(ARGV[1])
feed_begin(ARGV[5])
local cutoff = tonumber(ARGV[2])
local limit = tonumber(ARGV[4])
local removed, spent = purge(now, limit)
local seen = removed
local statuses = { 'completed', 'failed', 'cancelled' }
if ARGV[3] == '1' then statuses = STATUSES end
for _, s in ipairs(statuses) do
  if seen >= limit or spent >= ENTRY_BUDGET then break end
  local key = P .. 'up:' .. s
  local ids = redis.call('ZRANGE', key, '-inf', '(' .. ARGV[2], 'BYSCORE', 'LIMIT', 0, limit - seen)
  for _, id in ipairs(ids) do
    if spent >= ENTRY_BUDGET then break end
    local doc = redis.pcall('GET', P .. 't:' .. id)
    local h = type(doc) == 'string' and parse_doc(doc)
    if h and tonumber(h.m) >= cutoff then
      -- written since it got this status: not old enough, its entry moves to its updatedAt
      redis.call('ZREM', key, id)
      redis.pcall('ZADD', P .. 'up:' .. h.s, h.m, id)
      spent = spent + 1
    else
      spent = spent + drop(id, type(doc) == 'string' and doc or nil, 'd', now)
      redis.call('ZREM', key, id)
      removed = removed + 1
    end
    seen = seen + 1
  end
end
return { removed, (seen >= limit or spent >= ENTRY_BUDGET) and 1 or 0 }
