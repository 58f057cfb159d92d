-- by-request: the earliest-created live task (ties: smallest id by bytes) holding an item with a
-- request id, from that request id's range of the lex index (read only; entries of tasks past their
-- live-until instant, see live.lua, or dangling are skipped).
-- KEYS[1] P idx
-- ARGV[1] now (ms)       ARGV[2] requestId
-- Returns {'OK', taskId, document} | {'MISSING'} | {'CORRUPT', taskId, version text}
local now = tonumber(ARGV[1])
local prefix = 'rq:' .. ARGV[2] .. '\0'
local first, last = '[' .. prefix, '(rq:' .. ARGV[2] .. '\1'
local skip = #prefix + 14
while true do
  local members = redis.call('ZRANGE', IDX, first, last, 'BYLEX', 'LIMIT', 0, 16)
  for _, member in ipairs(members) do
    local id = string.sub(member, skip)
    local doc = redis.pcall('GET', P .. 't:' .. id)
    if type(doc) == 'table' then return { 'CORRUPT', id, '' } end
    if doc then
      local h = parse_head(doc)
      if not h then return { 'CORRUPT', id, version_text(doc) } end
      if is_live(h, id, now) then return { 'OK', id, doc } end
    end
  end
  if #members < 16 then return { 'MISSING' } end
  first = '(' .. members[#members]
end
