-- sweep-release: ends the namespace's sweep lease (see sweep-lease-1.lua) if it still carries the
-- token, so another store takes over at its next tick instead of after the lease.
-- KEYS[1] P idx of bucket 0
-- ARGV[1] token
-- Returns 1 when it ended the lease, else 0.
local key = P .. 'sweep:lease'
local held = redis.call('GET', key)
if held and string.match(held, '^(%d+):') == ARGV[1] then
  redis.call('DEL', key)
  return 1
end
return 0
