-- clear: one bounded batch of removing every task of one bucket, walking its `all` index (no
-- SCAN, no FLUSHDB: other namespaces and other data in the database are untouched).
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2] batch size       ARGV[3] the change feed's retention (ms; feed.lua)
-- Records `deleted` for each live task removed (`expired` for one past its live-until instant).
-- A batch also ends once the tasks it removed had ENTRY_BUDGET index entries (big tasks).
-- Returns {live tasks removed, 1 if more remain else 0}
local now = tonumber(ARGV[1])
feed_begin(ARGV[3])
local limit = tonumber(ARGV[2])
local members = redis.call('ZRANGE', IDX, '[all\0', '(all\1', 'BYLEX', 'LIMIT', 0, limit)
local live, spent = 0, 0
for _, member in ipairs(members) do
  -- big tasks: the batch ends early (see ENTRY_BUDGET), the store calls again
  if spent >= ENTRY_BUDGET then return { live, 1 } end
  local id = string.sub(member, 18)
  local doc = redis.pcall('GET', P .. 't:' .. id)
  local kind = nil
  if type(doc) == 'table' then
    live = live + 1
  elseif doc then
    local h = parse_doc(doc)
    kind = (not h or is_live(h, id, now)) and 'd' or 'x'
    if kind == 'd' then live = live + 1 end
  end
  spent = spent + drop(id, type(doc) == 'string' and doc or nil, kind, now)
  -- an entry whose bookkeeping is gone is still removed from `all`
  redis.call('ZREM', IDX, member)
end
if #members < limit then
  -- every task is gone: remove expired entries and foreign leftovers of the fixed keys
  local ids = redis.call('ZRANGE', P .. 'exp', 0, limit - 1)
  for _, id in ipairs(ids) do
    if spent >= ENTRY_BUDGET then return { live, 1 } end
    spent = spent + drop(id, nil)
  end
  if #ids == limit then return { live, 1 } end
  local keys = { IDX, P .. 'exp', IX, P .. 'sz' }
  for _, s in ipairs(STATUSES) do
    keys[#keys + 1] = P .. 'up:' .. s
    keys[#keys + 1] = P .. 'ex:' .. s
  end
  redis.call('DEL', unpack(keys))
  return { live, 0 }
end
return { live, 1 }
