-- verify: one bounded step of checking (and with repair, fixing) one bucket's tasks against its
-- indexes, in one of four walks, each resumed from a cursor (no SCAN of the keyspace):
--   'tasks'   the `all` range of IDX, by lex member: each task's document against every entry it
--             should have (lex, status, expiry, bookkeeping, stored size); missing ones are added
--   'ix'      the bookkeeping hash, by HSCAN cursor: tasks missing from `all` (checked the same way),
--             bookkeeping without a task (removed)
--   'entries' the rest of IDX, by lex member: entries whose task is gone or does not hold them
--   'scored'  the up:/exp/ex: sorted sets, by rank: entries whose task is gone or does not hold them
-- Every entry is re-checked against the document inside this step before it changes, so a walk that
-- runs beside writers never "repairs" a correct entry into a wrong one. A step ends after `batch`
-- tasks or entries, or once it has looked at WORK_BUDGET items and entries (big tasks).
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2] walk        ARGV[3] cursor ('' = start)    ARGV[4] batch
-- ARGV[5] '1' = repair
-- Returns {next cursor ('' = walk done), tasks checked, {kind, taskId, index, detail, repaired} * n
--          flattened, {corrupt taskId, version text} * m flattened}
local now = tonumber(ARGV[1])
local walk, cursor, batch = ARGV[2], ARGV[3], tonumber(ARGV[4])
local repair = ARGV[5] == '1'
local WORK_BUDGET = 50000
local work = 0
local problems, corrupt = {}, {}
local checked = 0

local function problem(kind, id, index, detail)
  problems[#problems + 1] = kind
  problems[#problems + 1] = id
  problems[#problems + 1] = index
  problems[#problems + 1] = detail
  problems[#problems + 1] = repair and '1' or '0'
end

-- The live task's document and parsed head with its live-until instant (h.l, h.lt; see live.lua),
-- or nil: gone (or past its live-until instant), or unreadable (then noted).
local function live(id)
  local doc = redis.pcall('GET', P .. 't:' .. id)
  if not doc then return nil end
  local h = type(doc) == 'string' and parse_doc(doc)
  if not h then
    corrupt[#corrupt + 1] = id
    corrupt[#corrupt + 1] = type(doc) == 'string' and version_text(doc) or ''
    return nil, true
  end
  h.l, h.lt = live_until(h, id)
  if TERMINAL[h.s] then
    -- a retention deadline its ex:<status> entry kept where the exp one was lost counts too
    local kept = redis.call('ZSCORE', P .. 'ex:' .. h.s, id)
    if kept and (not h.l or tonumber(kept) < h.l) then h.l, h.lt = tonumber(kept), kept end
  end
  if h.l and h.l <= now then return nil end
  return doc, h
end

-- The distinct request ids of a document's items, in order ('rq:<id>' suffixes), and as a set.
local function request_suffixes(doc, h)
  local list, set = {}, {}
  local at = string.find(doc, '\n[', h.r, true)
  while at do
    local stop = string.find(doc, '\t', at + 2, true)
    local f = 'rq:' .. json_id(string.sub(doc, at + 2, stop - 1))
    if not set[f] then
      set[f] = true
      list[#list + 1] = f
    end
    at = string.find(doc, '\n[', stop, true)
  end
  work = work + #list
  return list, set
end

-- Makes sure the lex index member exists (a task's own entry).
local function want_lex(id, member, f)
  if not redis.call('ZSCORE', IDX, member) then
    problem('missing-index-entry', id, f, 'no entry in the ' .. f .. ' index')
    if repair then redis.call('ZADD', IDX, 0, member) end
  end
end

-- Removes the lex index member if it is there (an entry the task should not have).
local function unwant_lex(id, member, f)
  if redis.call('ZSCORE', IDX, member) then
    problem('orphan-index-entry', id, f, 'an entry in the ' .. f .. ' index the task does not belong in')
    if repair then redis.call('ZREM', IDX, member) end
  end
end

-- Checks one live task against every entry it should (and should not) have; returns nothing.
local function check_task(id, doc, h)
  local lex = lex_of(h.c, id)
  local session, user = json_id(h.e), json_id(h.u)
  local base = base_suffixes(h.s, session, user, h.l)
  local rids, rid_set = request_suffixes(doc, h)
  for _, f in ipairs(base) do
    local k = kind_of(f)
    if k == 'l' then want_lex(id, f .. '\0' .. lex, f) end
  end
  for _, f in ipairs(rids) do want_lex(id, f .. '\0' .. lex, f) end
  for _, s in ipairs(STATUSES) do
    if s ~= h.s then
      unwant_lex(id, 'st:' .. s .. '\0' .. lex, 'st:' .. s)
      for _, f in ipairs({ 'up:' .. s, 'ex:' .. s }) do
        if redis.call('ZSCORE', P .. f, id) then
          problem('orphan-index-entry', id, f, 'an entry in the ' .. f .. ' index the task does not belong in')
          if repair then redis.call('ZREM', P .. f, id) end
        end
      end
    end
  end
  -- up:<status> holds a lower bound of updatedAt
  local up = redis.call('ZSCORE', P .. 'up:' .. h.s, id)
  if not up or tonumber(up) > tonumber(h.m) then
    problem('missing-index-entry', id, 'up:' .. h.s, up and 'its updatedAt score is too late' or 'no entry in the up:' .. h.s .. ' index')
    if repair then redis.call('ZADD', P .. 'up:' .. h.s, h.m, id) end
  end
  -- both expiry indexes hold its live-until instant: its expiresAt, or (terminal tasks) the earlier
  -- retention deadline its last write set
  for _, f in ipairs({ 'exp', 'ex:' .. h.s }) do
    local score = redis.call('ZSCORE', P .. f, id)
    if h.l and (not score or tonumber(score) ~= h.l) then
      problem('missing-index-entry', id, f, score and 'its expiry score is wrong' or 'no entry in the ' .. f .. ' index')
      if repair then redis.call('ZADD', P .. f, h.lt, id) end
    elseif not h.l and score then
      problem('orphan-index-entry', id, f, 'an expiry entry for a task that does not expire')
      if repair then redis.call('ZREM', P .. f, id) end
    end
  end
  -- the bookkeeping lists exactly its suffixes; entries it lists but the task should not have go
  local want = {}
  for _, f in ipairs(base) do want[f] = true end
  local text = redis.call('HGET', IX, id)
  local same = text ~= false and text ~= nil
  if same then
    local listed_lex, listed = split_ix(text)
    same = listed_lex == lex and #listed == #base + #rids
    for _, f in ipairs(listed) do
      if not want[f] and not rid_set[f] then
        same = false
        if kind_of(f) == 'l' then unwant_lex(id, f .. '\0' .. listed_lex, f) end
      end
    end
  end
  if not same then
    problem('missing-index-entry', id, 'ix', 'its bookkeeping does not list exactly its indexes')
    if repair then
      local all = {}
      for _, f in ipairs(base) do all[#all + 1] = f end
      for _, f in ipairs(rids) do all[#all + 1] = f end
      redis.call('HSET', IX, id, lex .. '\31' .. table.concat(all, '\31'))
    end
  end
  local size = doc_size(doc, h, id)
  local kept = redis.call('HGET', P .. 'sz', id)
  if tonumber(kept) ~= size then
    problem('count-mismatch', id, 'sz', 'its kept size (' .. (kept or 'none') .. ') is not its size ' .. size)
    if repair then redis.call('HSET', P .. 'sz', id, size) end
  end
  checked = checked + 1
end

local next_cursor = ''
if walk == 'tasks' then
  local from = cursor ~= '' and ('(' .. cursor) or '[all\0'
  local members = redis.call('ZRANGE', IDX, from, '(all\1', 'BYLEX', 'LIMIT', 0, batch)
  for i, member in ipairs(members) do
    local id = string.sub(member, 18)
    local doc, h = live(id)
    if doc then
      if string.sub(member, 5) ~= lex_of(h.c, id) then
        problem('orphan-index-entry', id, 'all', 'an entry with another createdAt than the task')
        if repair then redis.call('ZREM', IDX, member) end
      end
      check_task(id, doc, h)
    elseif not h and redis.call('EXISTS', P .. 't:' .. id) == 0 then
      problem('orphan-index-entry', id, 'all', 'an entry whose task does not exist')
      if repair then
        drop(id, nil)
        redis.call('ZREM', IDX, member)
      end
    end
    work = work + 1
    if i == #members and #members == batch then next_cursor = member end
    if work >= WORK_BUDGET and i < #members then
      next_cursor = member
      break
    end
  end
elseif walk == 'ix' then
  local reply = redis.call('HSCAN', IX, cursor ~= '' and cursor or '0', 'COUNT', batch)
  local fields = reply[2]
  for i = 1, #fields, 2 do
    local id = fields[i]
    local lex = string.match(fields[i + 1], '^[^\31]+')
    if not redis.call('ZSCORE', IDX, 'all\0' .. lex) then
      local doc, h = live(id)
      if doc then
        check_task(id, doc, h)
      elseif not h and redis.call('EXISTS', P .. 't:' .. id) == 0 then
        problem('orphan-index-entry', id, 'ix', 'bookkeeping of a task that does not exist')
        if repair then drop(id, nil) end
      end
    end
  end
  next_cursor = reply[1] ~= '0' and reply[1] or ''
elseif walk == 'entries' then
  local from = cursor ~= '' and ('(' .. cursor) or '(all\1'
  -- entries are cheap to check, the request ids of a big task are not: larger steps read a big
  -- task's request ids fewer times
  batch = math.max(batch, 2000)
  local members = redis.call('ZRANGE', IDX, from, '+', 'BYLEX', 'LIMIT', 0, batch)
  -- per task met in this step: its document's head, and its request ids once needed
  local tasks = {}
  for i, member in ipairs(members) do
    local cut = string.find(member, '\0', 1, true)
    local f, lex = string.sub(member, 1, cut - 1), string.sub(member, cut + 1)
    local id = string.sub(lex, 14)
    local t = tasks[id]
    if not t then
      local doc, h = live(id)
      t = { doc = doc, h = h, gone = not doc and not h and redis.call('EXISTS', P .. 't:' .. id) == 0 }
      tasks[id] = t
    end
    local belongs = nil
    if t.doc then
      local h = t.h
      if lex ~= lex_of(h.c, id) then
        belongs = false
      elseif string.sub(f, 1, 3) == 'st:' then
        belongs = string.sub(f, 4) == h.s
      elseif string.sub(f, 1, 3) == 'ss:' then
        belongs = string.sub(f, 4) == json_id(h.e)
      elseif string.sub(f, 1, 3) == 'us:' then
        belongs = string.sub(f, 4) == json_id(h.u)
      elseif string.sub(f, 1, 3) == 'rq:' then
        if not t.rids then
          local _, set = request_suffixes(t.doc, h)
          t.rids = set
        end
        belongs = t.rids[f] == true
      else
        belongs = false
      end
    elseif t.gone then
      belongs = false
    end
    -- belongs == nil: unreadable or expired, left to quarantine and purge
    if belongs == false then
      problem('orphan-index-entry', id, f, t.gone and 'an entry whose task does not exist' or 'an entry the task does not hold')
      if repair then redis.call('ZREM', IDX, member) end
    end
    work = work + 1
    if i == #members and #members == batch then next_cursor = member end
    if work >= WORK_BUDGET and i < #members then
      next_cursor = member
      break
    end
  end
else -- 'scored': cursor "<key number>:<rank>"
  local keys = { 'exp' }
  for _, s in ipairs(STATUSES) do
    keys[#keys + 1] = 'up:' .. s
    keys[#keys + 1] = 'ex:' .. s
  end
  local k, rank = 1, 0
  if cursor ~= '' then
    k, rank = string.match(cursor, '^(%d+):(%d+)$')
    k, rank = tonumber(k), tonumber(rank)
  end
  local f = keys[k]
  local ids = redis.call('ZRANGE', P .. f, rank, rank + batch - 1)
  local kept = 0
  for _, id in ipairs(ids) do
    local doc, h = live(id)
    local gone = not doc and not h and redis.call('EXISTS', P .. 't:' .. id) == 0
    local belongs = nil
    if doc then
      if f == 'exp' then
        belongs = h.l ~= nil
      else
        belongs = string.sub(f, 4) == h.s and (string.sub(f, 1, 3) == 'up:' or h.l ~= nil)
      end
    elseif gone then
      belongs = false
    end
    if belongs == false then
      problem('orphan-index-entry', id, f, gone and 'an entry whose task does not exist' or 'an entry the task does not belong in')
      if repair then redis.call('ZREM', P .. f, id) else kept = kept + 1 end
    else
      kept = kept + 1
    end
  end
  if #ids == batch then
    next_cursor = k .. ':' .. (rank + kept)
  elseif k < #keys then
    next_cursor = (k + 1) .. ':0'
  end
end
return { next_cursor, checked, problems, corrupt }
