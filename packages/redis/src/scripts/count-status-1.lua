-- count-status: live tasks of one bucket with the given statuses (read only): the status counts
-- minus the expired tasks not yet purged, counted in the expiry indexes. O(log n).
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2...] statuses (none = every status)
-- Returns the count.
local total = 0
-- every task in an ex:<status> index is in exp too: when exp is empty, nothing has expired
local expiring = redis.call('EXISTS', P .. 'exp') == 1
if #ARGV == 1 then
  for _, n in ipairs(redis.call('HVALS', COUNTS)) do total = total + tonumber(n) end
  if expiring then total = total - redis.call('ZCOUNT', P .. 'exp', '-inf', ARGV[1]) end
  return total
end
local counts = redis.call('HMGET', COUNTS, unpack(ARGV, 2))
for i = 2, #ARGV do
  total = total + (tonumber(counts[i - 1]) or 0)
  if expiring then total = total - redis.call('ZCOUNT', P .. 'ex:' .. ARGV[i], '-inf', ARGV[1]) end
end
return total
