-- count-status-node: count-status over several buckets that one cluster node serves, in one call
-- (read only; the keys of other slots are read under the script flag allow-cross-slot-keys, which
-- Redis 7 grants for slots of the node the call runs on).
-- KEYS[1] the first bucket's lex index (routes the call to its node)
-- ARGV[1] now (ms)       ARGV[2] k, the number of buckets      ARGV[3...2+k] their lex indexes
-- ARGV[3+k...] statuses (none = every status)
-- Returns the sum of count-status over the buckets. A bucket the node does not serve (a slot
-- moving) fails the call with the server's "non local key" error: the client counts per bucket.
local now = ARGV[1]
local k = tonumber(ARGV[2])
local first_status = 3 + k
local total = 0
for b = 3, 2 + k do
  local idx = ARGV[b]
  local p = string.sub(idx, 1, -4)
  local expiring = redis.call('EXISTS', p .. 'exp') == 1
  if #ARGV < first_status then
    total = total + redis.call('ZLEXCOUNT', idx, '[all\0', '(all\1')
    if expiring then total = total - redis.call('ZCOUNT', p .. 'exp', '-inf', now) end
  else
    for i = first_status, #ARGV do
      local s = ARGV[i]
      total = total + redis.call('ZLEXCOUNT', idx, '[st:' .. s .. '\0', '(st:' .. s .. '\1')
      if expiring then total = total - redis.call('ZCOUNT', p .. 'ex:' .. s, '-inf', now) end
    end
  end
end
return total
