-- The change feed (needs prelude.lua and doc.lua): every write records what it changed in its
-- bucket's stream P ch, in the same script as the write. An entry's id is the server's clock in µs
-- (ordered within the stream, see note); its fields are short: t type (c created, u updated, d deleted,
-- x expired), i taskId, v version, s status, a when (ms, the write's clock), e and u the task's
-- sessionId and userId as JSON texts ('null' for none), c its createdAt (ms).
-- p the id of the entry before it ('0-0' for none): a reader at position A whose next entry names a
-- predecessor after A knows that predecessor was trimmed, so it never passes over a gap (Redis
-- keeps no count of trimmed entries it could ask instead: max-deleted-entry-id is XDEL's).
-- Trimming: every XADD drops the entries older than the server's TIME minus the writer's retention
-- (MINID, exact; ids are in µs, see note).

-- The writer's retention (ms) for this call; the server's clock (µs), the MINID it trims to and
-- the stream's last id, read at the first change of the call. Set by feed_begin at the start of
-- every script that changes tasks.
local FEED_RETAIN, FEED_NOW, FEED_MIN, FEED_LAST = 0, nil, nil, nil

local function feed_begin(retain)
  FEED_RETAIN, FEED_NOW, FEED_MIN, FEED_LAST = tonumber(retain) or 3600000, nil, nil, nil
end

-- Records one change; returns its id, or the error reply of a refused XADD (a foreign value under
-- P ch; the server out of memory when it is a script's first write). Through pcall: a removal
-- must not stop half way; a write takes itself back out instead (see the scripts).
-- Ids are explicit: "<the server's clock in µs>-0", or the last id's time with the next sequence
-- when the clock has not passed it (several changes in one call, a clock set back). Microseconds,
-- not Redis' milliseconds: on a cluster the buckets' streams are merged by id, and changes made one
-- after the other on two nodes within a millisecond must keep their order.
local function note(kind, id, vt, s, at, e, u, c)
  local key = P .. 'ch'
  if not FEED_MIN then
    local last = redis.pcall('XREVRANGE', key, '+', '-', 'COUNT', 1)
    if last.err then return last end
    FEED_LAST = last[1] and last[1][1] or '0-0'
    local t = redis.call('TIME')
    FEED_NOW = tonumber(t[1]) * 1000000 + tonumber(t[2])
    FEED_MIN = string.format('%.0f', FEED_NOW - FEED_RETAIN * 1000)
  end
  local lm, ls = string.match(FEED_LAST, '^(%d+)-(%d+)$')
  lm, ls = tonumber(lm), tonumber(ls)
  local next_id
  if FEED_NOW > lm then
    next_id = string.format('%.0f-0', FEED_NOW)
  else
    next_id = string.format('%.0f-%.0f', lm, ls + 1)
  end
  local added = redis.pcall('XADD', key, 'MINID', FEED_MIN, next_id, 't', kind, 'i', id, 'v', vt,
    's', s, 'a', at, 'e', e, 'u', u, 'c', c, 'p', FEED_LAST)
  if type(added) == 'string' then FEED_LAST = added end
  return added
end
