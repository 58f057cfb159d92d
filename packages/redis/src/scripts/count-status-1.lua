-- count-status: live tasks of one bucket with the given statuses (read only): the entries of the
-- all or st:<status> ranges of the lex index (ZLEXCOUNT, O(log n)) minus the expired tasks not yet
-- purged, counted in the expiry indexes (scored by live-until instants, see live.lua).
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2...] statuses (none = every status)
-- Returns the count.

-- how many members of the lex index one index (a suffix) holds
local function entries(suffix)
  return redis.call('ZLEXCOUNT', IDX, '[' .. suffix .. '\0', '(' .. suffix .. '\1')
end

-- every task in an ex:<status> index is in exp too: when exp is empty, nothing has expired
local expiring = redis.call('EXISTS', P .. 'exp') == 1
if #ARGV == 1 then
  local total = entries('all')
  if expiring then total = total - redis.call('ZCOUNT', P .. 'exp', '-inf', ARGV[1]) end
  return total
end
local total = 0
for i = 2, #ARGV do
  total = total + entries('st:' .. ARGV[i])
  if expiring then total = total - redis.call('ZCOUNT', P .. 'ex:' .. ARGV[i], '-inf', ARGV[1]) end
end
return total
