-- Index entries of a task, kept in the same step as the task (needs prelude.lua and doc.lua).
--
-- A task is in indexes named by suffixes:
--   lex: all, st:<status>, ss:<sessionId>, us:<userId>, rq:<requestId> — members of the one sorted
--        set IDX, all with score 0: "<suffix>\0<lex>", so each index is a range of IDX by bytes,
--        ordered by createdAt then id (one ZADD files a task under all of them at once)
--   upd: up:<status> — sorted set of ids scored by updatedAt as of when the task got that status:
--        a lower bound of its updatedAt, refreshed by cleanup (so a write that keeps the status
--        does not move the entry)
--   exp: exp, ex:<status> — sorted sets of ids scored by their live-until instant (live.lua): the
--        expiresAt, or earlier the retention deadline (purge, counts, the sweeper); a task is in
--        them when it has one
-- The bookkeeping hash IX holds, per task, its lex member and all its suffixes, so its entries can
-- be found even when its document is unreadable. Counts are read off the st:<status> ranges
-- (ZLEXCOUNT), so no write keeps a counter.

local STATUSES = { 'pending', 'running', 'paused', 'completed', 'failed', 'cancelled' }

-- 'l' (lex), 'u' (upd) or 'x' (exp): which kind of index a suffix names.
local function kind_of(f)
  local head = string.sub(f, 1, 3)
  if head == 'up:' then return 'u' end
  if head == 'ex:' or f == 'exp' then return 'x' end
  return 'l'
end

-- Suffixes of the indexes a task with these fields is in, request ids left out; `has_until`: it
-- has a live-until instant (an expiresAt or a retention deadline), so it is in the expiry indexes.
local function base_suffixes(s, session, user, has_until)
  local f = { 'all', 'st:' .. s, 'up:' .. s }
  if has_until then
    f[#f + 1] = 'exp'
    f[#f + 1] = 'ex:' .. s
  end
  if session then f[#f + 1] = 'ss:' .. session end
  if user then f[#f + 1] = 'us:' .. user end
  return f
end

-- The lex member and index suffixes a bookkeeping text lists.
local function split_ix(text)
  local list = {}
  for f in string.gmatch(text, '[^\31]+') do list[#list + 1] = f end
  local lex = table.remove(list, 1)
  return lex, list
end

-- A task's bookkeeping: its text, lex member and index suffixes; nil when there is none.
local function read_ix(id)
  local text = redis.pcall('HGET', IX, id)
  if type(text) ~= 'string' then return nil end
  local lex, list = split_ix(text)
  return text, lex, list
end

-- A task's bookkeeping in two parts: its lex member with the suffixes of its indexes other than
-- request ids (a short list), and its request-id part as text ('\31rq:<id>\31rq:<id>...', '' when
-- none), so a write that moves its status, session, user or expiry entries never walks its request
-- ids. Writes keep the request ids last; bookkeeping written otherwise is split whole, once. Without
-- bookkeeping (damage), what the document's head and its live-until instant (h.l, set by
-- read_live) say (its request ids cannot be known then).
-- `text` is the bookkeeping as read (HGET: nil when there is none). Returns lex, list, request-id text.
local function ix_parts(text, id, h)
  if not text then return lex_of(h.c, id), base_suffixes(h.s, json_id(h.e), json_id(h.u), h.l), '' end
  local at = string.find(text, '\31rq:', 1, true)
  if not at then
    local lex, list = split_ix(text)
    return lex, list, ''
  end
  local rq = string.sub(text, at)
  if not string.find(rq, '\31[^r]') then
    local lex, list = split_ix(string.sub(text, 1, at - 1))
    return lex, list, rq
  end
  local lex, all = split_ix(text)
  local list, rids = {}, {}
  for _, f in ipairs(all) do
    if string.sub(f, 1, 3) == 'rq:' then rids[#rids + 1] = f else list[#list + 1] = f end
  end
  return lex, list, '\31' .. table.concat(rids, '\31')
end

-- Runs ZADD or ZREM of IDX over `members` from index `first` on (default 1; with score 0 for
-- ZADD), in chunks that stay below Lua's stack limit. Returns the error reply of the first call
-- that failed, or nil.
local function idx_call(cmd, members, first)
  local i = first or 1
  while i <= #members do
    local args = {}
    for j = i, math.min(#members, i + 999) do
      if cmd == 'ZADD' then args[#args + 1] = 0 end
      args[#args + 1] = members[j]
    end
    local r = redis.pcall(cmd, IDX, unpack(args))
    if type(r) == 'table' then return r end
    i = i + 1000
  end
  return nil
end

-- The reply of a write the server refused at `key`: the key and the server's own error text (its
-- code first: WRONGTYPE for a foreign value, OOM when maxmemory is reached ...), so the client maps
-- the refusal by its code.
local function refused(key, reply)
  return { 'REFUSED', key, type(reply) == 'table' and reply.err or tostring(reply) }
end

-- Moves a task's index entries from the suffixes `old` to `new`, all or nothing. The additions go
-- first, through pcall: Redis does not roll a script back, so when one is refused (a foreign value
-- under its key, or the server out of memory), what was added before it is taken out again (moved
-- scores put back) and that key and the error reply are returned. Then the bookkeeping (unless
-- `keep_ix`), then the removal of entries no longer wanted (a foreign value under an index we leave
-- must not stop that half way). `m` and `x` are the new updatedAt and live-until instant (texts),
-- `old_m` and `old_x` the previous ones. Returns nil when done.
local function sync(id, lex, old, new, m, x, old_m, old_x, old_text, keep_ix)
  local had, wanted = {}, {}
  for _, f in ipairs(old) do had[f] = true end
  for _, f in ipairs(new) do wanted[f] = true end
  local add = {}
  for _, f in ipairs(new) do
    if not had[f] and kind_of(f) == 'l' then add[#add + 1] = f .. '\0' .. lex end
  end
  if #add > 0 then
    local r = idx_call('ZADD', add)
    if r then return IDX, r end
  end
  local done = {}
  local failed, reply = nil, nil
  for _, f in ipairs(new) do
    local k = kind_of(f)
    if (k == 'u' and not had[f]) or (k == 'x' and (not had[f] or x ~= old_x)) then
      local r = redis.pcall('ZADD', P .. f, k == 'u' and m or x, id)
      if type(r) == 'table' then
        failed, reply = P .. f, r
        break
      end
      done[#done + 1] = { f, k, r }
    end
  end
  if not failed and not keep_ix then
    local text = lex .. '\31' .. table.concat(new, '\31')
    if text ~= old_text then
      local r = redis.pcall('HSET', IX, id, text)
      if type(r) == 'table' then failed, reply = IX, r end
    end
  end
  if failed then
    idx_call('ZREM', add)
    for _, d in ipairs(done) do
      local f, k, added = d[1], d[2], d[3]
      if had[f] then
        redis.call('ZADD', P .. f, k == 'u' and old_m or old_x, id)
      elseif added == 1 then
        redis.call('ZREM', P .. f, id)
      end
    end
    return failed, reply
  end
  local gone = {}
  for _, f in ipairs(old) do
    if not wanted[f] then
      if kind_of(f) == 'l' then
        gone[#gone + 1] = f .. '\0' .. lex
      else
        redis.pcall('ZREM', P .. f, id)
      end
    end
  end
  if #gone > 0 then idx_call('ZREM', gone) end
  return nil
end

-- Moves a task's entries, keeping request ids apart from the rest: files the lex members `added`
-- (its new request ids), moves the other entries from the suffixes `old` to `new` (sync), takes out
-- the lex members `gone` (request ids it no longer holds) and writes its bookkeeping `text`; all or
-- nothing (what a refused write finds added is taken out again). The caller has read IX (a hash,
-- or none yet), so the last write meets no foreign value, and a script that has written is not
-- refused for memory. Returns nil, or the refused key and the error reply.
local function move_entries(id, lex, old, new, added, gone, m, x, old_m, old_x, text)
  if #added > 0 then
    local reply = idx_call('ZADD', added)
    if reply then
      idx_call('ZREM', added)
      return IDX, reply
    end
  end
  local bad, reply = sync(id, lex, old, new, m, x, old_m, old_x, nil, true)
  if bad then
    idx_call('ZREM', added)
    return bad, reply
  end
  if #gone > 0 then idx_call('ZREM', gone) end
  redis.call('HSET', IX, id, text)
  return nil
end

-- An id as a JSON string (ids hold no control characters: only '"' and '\' are escaped).
local function id_json(id)
  return '"' .. string.gsub(id, '["\\]', '\\%0') .. '"'
end

-- Records the removal of `id` as `kind` at `at` (feed.lua): what its document's head says, else
-- what its bookkeeping (lex member, suffixes) says, its version then read off the document if it
-- can be (else 0). Nothing when neither is readable: there was no task to speak of.
local function note_removal(kind, id, doc, lex, list, at)
  local h = type(doc) == 'string' and parse_head(doc)
  if h then return note(kind, id, h.vt, h.s, at, h.e, h.u, h.c) end
  if not lex or not list then return end
  local s, e, u = nil, 'null', 'null'
  for _, f in ipairs(list) do
    local head = string.sub(f, 1, 3)
    if head == 'st:' then
      s = string.sub(f, 4)
    elseif head == 'ss:' then
      e = id_json(string.sub(f, 4))
    elseif head == 'us:' then
      u = id_json(string.sub(f, 4))
    end
  end
  if not s then return end
  local c = string.format('%.0f', tonumber(string.sub(lex, 1, 13), 16) - 140737488355328)
  local vt = type(doc) == 'string' and version_text(doc) or ''
  note(kind, id, vt ~= '' and vt or '0', s, at, e, u, c)
end

-- Removes a task, its index entries and its bookkeeping. `doc` is its document when the caller
-- has it. Tolerates foreign values under index keys: removing must not stop half way. With `kind`
-- ('d' deleted, 'x' expired), records the removal in the feed at `at` (ms); without, records
-- nothing (a repair of damage, or a task a write replaces and records itself). Returns how
-- many index entries it removed (at least 1), the measure of work the batch scripts budget by.
local function drop(id, doc, kind, at)
  local text, lex, list = read_ix(id)
  if kind and not doc then doc = redis.pcall('GET', P .. 't:' .. id) end
  if not text then
    if not doc then doc = redis.pcall('GET', P .. 't:' .. id) end
    local h = type(doc) == 'string' and parse_doc(doc)
    if h then
      lex = lex_of(h.c, id)
      -- its expiry entries whether or not it has an expiresAt: a retention deadline puts a
      -- terminal task there too
      list = base_suffixes(h.s, json_id(h.e), json_id(h.u), true)
    else
      -- nothing readable: every index holding the id itself
      list = { 'exp' }
      for _, s in ipairs(STATUSES) do
        list[#list + 1] = 'up:' .. s
        list[#list + 1] = 'ex:' .. s
      end
    end
  end
  local gone = {}
  for _, f in ipairs(list) do
    if kind_of(f) ~= 'l' then
      redis.pcall('ZREM', P .. f, id)
    elseif lex then
      gone[#gone + 1] = f .. '\0' .. lex
    end
  end
  if #gone > 0 then idx_call('ZREM', gone) end
  if text then redis.pcall('HDEL', IX, id) end
  redis.pcall('HDEL', P .. 'sz', id)
  redis.call('DEL', P .. 't:' .. id)
  if kind then note_removal(kind, id, doc, lex, text and list or nil, at) end
  return math.max(#list, 1)
end

-- The live task under `tkey`: its document and parsed head (parse_doc, plus l and lt: its
-- live-until instant and that as text, see live.lua), or nil and the reply the script gives
-- instead: NOT_FOUND (none, or past its live-until instant: then it is dropped on the way),
-- CORRUPT, or CONFLICT when `expected` (a version as text, '' = any) is not the stored version.
local function read_live(id, tkey, now, expected)
  local doc = redis.pcall('GET', tkey)
  if type(doc) == 'table' then return nil, { 'CORRUPT', '' } end
  if not doc then return nil, { 'NOT_FOUND' } end
  local h = parse_doc(doc)
  if not h then return nil, { 'CORRUPT', version_text(doc) } end
  h.l, h.lt = live_until(h, id)
  if h.l and h.l <= now then
    drop(id, doc, 'x', now)
    return nil, { 'NOT_FOUND' }
  end
  if expected ~= '' and h.v ~= tonumber(expected) then return nil, { 'CONFLICT', h.v } end
  return doc, h
end

-- Index entries one script call removes at most, beyond its first task: a batch of big tasks (tens
-- of thousands of request ids each) stops early, so no call holds the server (and every other
-- namespace on it) for long. A single task is always removed whole, with all its entries.
local ENTRY_BUDGET = 20000
-- What a write spends on purging expired tasks on the way, beyond the first one.
local WRITE_PURGE_BUDGET = 2000

-- Drops up to `limit` tasks whose live-until instant passed, within `budget` index entries (default: the
-- entry budget; a write passes less, purging being a side job of it); returns how many, and the
-- entries that took. A foreign value under the expiry index only skips this (it runs after a
-- write has been done).
local function purge(now, limit, budget)
  if limit <= 0 then return 0, 0 end
  budget = budget or ENTRY_BUDGET
  local ids = redis.pcall('ZRANGE', P .. 'exp', '-inf', now, 'BYSCORE', 'LIMIT', 0, limit)
  if type(ids) ~= 'table' or ids.err then return 0, 0 end
  local spent = 0
  for i, id in ipairs(ids) do
    if spent >= budget then return i - 1, spent end
    spent = spent + drop(id, nil, 'x', now)
  end
  return #ids, spent
end
