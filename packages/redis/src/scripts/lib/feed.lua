-- The change feed (needs prelude.lua and doc.lua): every write records what it changed in its
-- bucket's stream P ch, in the same script as the write. An entry's id is the server's auto id
-- (ordered within the stream); its fields are short: t type (c created, u updated, d deleted,
-- x expired), i taskId, v version, s status, a when (ms, the write's clock), e and u the task's
-- sessionId and userId as JSON texts ('null' for none), c its createdAt (ms).
-- p the id of the entry before it ('0-0' for none): a reader at position A whose next entry names a
-- predecessor after A knows that predecessor was trimmed, so it never passes over a gap (Redis
-- keeps no count of trimmed entries it could ask instead: max-deleted-entry-id is XDEL's).
-- Trimming: every XADD drops the entries older than the server's TIME minus the writer's retention
-- (MINID, exact).

-- The writer's retention (ms) for this call, and the MINID it trims to (worked out at the first
-- change of the call). Set by feed_begin at the start of every script that changes tasks.
local FEED_RETAIN, FEED_MIN, FEED_LAST = 0, nil, nil

local function feed_begin(retain)
  FEED_RETAIN, FEED_MIN, FEED_LAST = tonumber(retain) or 3600000, nil, nil
end

-- Records one change; returns its id, or the error reply of a refused XADD (a foreign value under
-- P ch; the server out of memory when it is a script's first write). Through pcall: a removal
-- must not stop half way; a write takes itself back out instead (see the scripts).
local function note(kind, id, vt, s, at, e, u, c)
  local key = P .. 'ch'
  if not FEED_MIN then
    local t = redis.call('TIME')
    FEED_MIN = string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - FEED_RETAIN)
    local last = redis.pcall('XREVRANGE', key, '+', '-', 'COUNT', 1)
    if last.err then return last end
    FEED_LAST = last[1] and last[1][1] or '0-0'
  end
  local added = redis.pcall('XADD', key, 'MINID', FEED_MIN, '*', 't', kind, 'i', id, 'v', vt, 's', s,
    'a', at, 'e', e, 'u', u, 'c', c, 'p', FEED_LAST)
  if type(added) == 'string' then FEED_LAST = added end
  return added
end
