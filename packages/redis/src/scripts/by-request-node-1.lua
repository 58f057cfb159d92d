-- by-request-node: by-request over several buckets that one cluster node serves, in one call (read
-- only; the keys of other slots are read under the script flag allow-cross-slot-keys, which Redis 7
-- grants for slots of the node the call runs on).
-- KEYS[1] the first bucket's lex index (routes the call to its node)
-- ARGV[1] now (ms)       ARGV[2] requestId       ARGV[3] k       ARGV[4...3+k] the buckets' lex indexes
-- Returns one by-request reply per bucket, in the order given. A bucket the node does not serve (a
-- slot moving) fails the call with the server's "non local key" error: the client asks per bucket.
local now = tonumber(ARGV[1])
local prefix = 'rq:' .. ARGV[2] .. '\0'
local last = '(rq:' .. ARGV[2] .. '\1'
local skip = #prefix + 14

-- by-request of one bucket (see by-request-1.lua)
local function earliest(idx)
  local p = string.sub(idx, 1, -4)
  local first = '[' .. prefix
  while true do
    local members = redis.call('ZRANGE', idx, first, last, 'BYLEX', 'LIMIT', 0, 16)
    for _, member in ipairs(members) do
      local id = string.sub(member, skip)
      local doc = redis.pcall('GET', p .. 't:' .. id)
      if type(doc) == 'table' then return { 'CORRUPT', id, '' } end
      if doc then
        local h = parse_head(doc)
        if not h then return { 'CORRUPT', id, version_text(doc) } end
        if is_live(h, id, now, p) then return { 'OK', id, doc } end
      end
    end
    if #members < 16 then return { 'MISSING' } end
    first = '(' .. members[#members]
  end
end

local out = {}
for b = 4, 3 + tonumber(ARGV[3]) do out[#out + 1] = earliest(ARGV[b]) end
return out
