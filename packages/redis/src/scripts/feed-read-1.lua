-- feed_read: one bucket's change feed (lib/feed.lua), read only: where it ends, or the entries
-- after a position, with the check that nothing after that position was trimmed, in one step.
-- KEYS[1] P idx
-- ARGV[1] 'end' | 'read'  ARGV[2] the position (a stream id, '0-0' before the first)
-- ARGV[3] entries at most    ARGV[4] the reader's retention (ms): an entry older than that (by the
--         server's clock) counts as trimmed, whether or not a write to this bucket trimmed it yet
-- Returns, for 'end': the id of the last entry ever added ('0-0' for none). For 'read':
-- {'OK', {id, {field, value, ...}} ...} | {'FOREIGN', last id} (a position past the end: not one of
-- this feed's) | {'GAP'} (an entry after the position was trimmed: the caller must re-list).
local key = P .. 'ch'

-- the id of the last entry ever added ('0-0' for none), from XINFO (the last entry may be gone)
local function last_id()
  local info = redis.pcall('XINFO', 'STREAM', key)
  if info.err then
    if string.find(info.err, 'no such key', 1, true) then return '0-0' end
    return nil, info
  end
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then return info[i + 1] end
  end
  return '0-0'
end

if ARGV[1] == 'end' then
  local last, err = last_id()
  if not last then return err end
  return last
end

-- a < b for stream ids "<ms>-<seq>" (both below 2^53: exact as Lua numbers)
local function less(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  am, bm = tonumber(am), tonumber(bm)
  if am ~= bm then return am < bm end
  return tonumber(as) < tonumber(bs)
end

local after = ARGV[2]
local entries = redis.call('XRANGE', key, '(' .. after, '+', 'COUNT', tonumber(ARGV[3]))
local first = entries[1]
if first then
  -- the entry before the first one after the position is named in it (field p, the last one):
  -- after the position means it was trimmed, so a change after the position is lost
  local fields = first[2]
  local p = fields[#fields - 1] == 'p' and fields[#fields] or nil
  if p and less(after, p) then return { 'GAP' } end
  -- older than the retention: trimmed in all but fact (a bucket is trimmed when it is written to,
  -- and may not have been since), so the reader's successor is as good as lost
  local t = redis.call('TIME')
  local cutoff = tonumber(t[1]) * 1000000 + tonumber(t[2]) - tonumber(ARGV[4]) * 1000
  if tonumber(string.match(first[1], '^(%d+)')) < cutoff then return { 'GAP' } end
  return { 'OK', entries }
end
local last, err = last_id()
if not last then return err end
if less(last, after) then return { 'FOREIGN', last } end
return { 'OK', entries }
