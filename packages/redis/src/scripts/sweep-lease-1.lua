-- sweep-lease: takes the namespace's sweep lease for a holder when it is free, or renews it when
-- that holder has it. The lease lives in the namespace's bucket 0 (the slot of its shard record):
-- "<token>:<holder>" under P sweep:lease with an expiry the server keeps (PX), so processes whose
-- clocks disagree still agree on when it runs out. Tokens come from the counter P sweep:tokens:
-- each change of holder gets a larger one (the fencing token the sweep batches carry, checked
-- against each bucket's fence: sweep-1.lua).
-- KEYS[1] P idx of bucket 0
-- ARGV[1] holder         ARGV[2] lease (ms)
-- ARGV[3] a fence a bucket refused this holder's token with ('' = none). A fence at or above the
--         token of a lease its holder still has can only come from a counter that went back
--         (lost in a failover, or deleted): the lease then gets a token above the fence, or its
--         holder would be refused in that bucket for good.
-- Returns the lease's token, or nil while another holder's lease has not run out.
local key = P .. 'sweep:lease'
local floor = ARGV[3] ~= '' and tonumber(ARGV[3]) or nil

-- the next token: the counter's, raised above `floor` when it is not
local function next_token()
  local token = redis.call('INCR', P .. 'sweep:tokens')
  if floor and token <= floor then
    token = floor + 1
    redis.call('SET', P .. 'sweep:tokens', token)
  end
  return token
end

local held = redis.call('GET', key)
if held then
  local token, holder = string.match(held, '^(%d+):(.*)$')
  if holder ~= ARGV[1] then return false end
  token = tonumber(token)
  if floor and floor >= token then
    token = next_token()
    redis.call('SET', key, token .. ':' .. ARGV[1], 'PX', ARGV[2])
  else
    redis.call('PEXPIRE', key, ARGV[2])
  end
  return token
end
local token = next_token()
redis.call('SET', key, token .. ':' .. ARGV[1], 'PX', ARGV[2])
return token
