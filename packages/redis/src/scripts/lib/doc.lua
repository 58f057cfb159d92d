-- The stored task document (src/doc.ts writes it), one string per task under P t:<id>:
--   {"v":<version>\t,"m":<updatedAt>\t,"s":"<status>"\t,"x":<expiresAt|null>\t,"c":<createdAt>\t,
--    "e":<sessionId JSON|null>\t,"u":<userId JSON|null>\t,"d":{<members>}\r,"i":[<items>]}
-- member: \n<key JSON>\t:<value JSON>; item: \n[<requestId JSON>\t,"<role>",<ms>,<content JSON>] (joined by ',').
-- It is plain JSON (space, tab, newline and carriage return are JSON whitespace) that the client
-- parses in one go, and JSON.stringify never writes a raw tab, newline or carriage return, so those
-- mark the parts a script needs: it finds them with plain string search and never decodes user JSON
-- (Lua's cjson would round numbers to 14 digits and could not tell [] from {}). v, m, s, x and c are
-- padded with spaces to fixed widths: bytes 6 to 104 (the HEAD_FIXED region) can be rewritten in place.

local HEAD = '^{"v":(%d+) *\t,"m":(%-?%d+) *\t,"s":"(%l+)" *\t,"x":([%-%dnul]+) *\t,"c":(%-?%d+) *\t,"e":([^\t]*)\t,"u":([^\t]*)\t,"d":{()'
local IS_STATUS = {
  pending = true, running = true, paused = true, completed = true, failed = true, cancelled = true,
}

-- The fixed-width head fields as stored from byte 6 on: 99 bytes.
local function head_fixed(v, m, s, x, c)
  return string.format('%-16s\t,"m":%-16s\t,"s":%-11s\t,"x":%-16s\t,"c":%-16s', v, m, '"' .. s .. '"', x, c)
end

-- The head of a stored document (version, status, expiry, sessionId, userId, createdAt), or nil when it has none: what
-- reads check per task, leaving the rest of the document to the client's parser.
local function parse_head(doc)
  local v, m, s, x, c, e, u = string.match(doc, HEAD)
  if not v or not IS_STATUS[s] then return nil end
  local xn = nil
  if x ~= 'null' then
    xn = tonumber(x)
    if not xn then return nil end
  end
  return { vt = v, s = s, e = e, u = u, x = xn, c = c }
end

-- The parts of a stored document, or nil when it is not one. Fields: v (number) and vt (its text),
-- m, c, s (texts), e, u (JSON texts or 'null'), x (number or nil), xt (text or 'null'),
-- d (where the data members start), r (where the data object's closing brace is).
local function parse_doc(doc)
  local v, m, s, x, c, e, u, d = string.match(doc, HEAD)
  if not v or not IS_STATUS[s] then return nil end
  local r = string.find(doc, '}\r,"i":[', d, true)
  if not r or string.sub(doc, -2) ~= ']}' then return nil end
  local xn = nil
  if x ~= 'null' then
    xn = tonumber(x)
    if not xn then return nil end
  end
  return { v = tonumber(v), vt = v, m = m, c = c, s = s, e = e, u = u, x = xn, xt = x, d = d, r = r }
end

-- The version text of a document that may be damaged ('' when there is none), for the quarantine guard.
local function version_text(doc)
  return string.match(doc, '^{"v":(%d+)[ \t]') or ''
end

-- Lex member of a task from its createdAt (ms, as text) and id: 13 hex digits of createdAt + 2^47.
local function lex_of(c, id)
  return string.format('%013x', tonumber(c) + 140737488355328) .. id
end

-- An id from its JSON text (nil for 'null'). Ids hold no control characters, so JSON.stringify
-- escaped only '"' and '\'.
local function json_id(text)
  if text == 'null' then return nil end
  local inner = string.sub(text, 2, -2)
  if not string.find(inner, '\\', 1, true) then return inner end
  return (string.gsub(inner, '\\(.)', '%1'))
end

-- Sizes as maxTaskBytes counts them: the UTF-8 bytes of the task's JSON in core's stored form
-- (serializeTask), which differs from this document by fixed amounts: each item is 39 bytes more
-- there ('{"requestId":' ... '}' around the same tokens, against '\n[' ... ']'), each data member 2
-- bytes less ('"k":v' against '\n"k"\t:v'), and the head has its own frame (113 bytes of names,
-- braces and commas) around the same field texts. Kept per task in the hash P sz, so a patch adds
-- its change to it without measuring the whole task.

-- Occurrences of the one-byte string `ch` in doc from `from` to `to`.
local function count_in(doc, ch, from, to)
  local n, at = 0, string.find(doc, ch, from, true)
  while at and at <= to do
    n = n + 1
    at = string.find(doc, ch, at + 1, true)
  end
  return n
end

-- Bytes of the head of a task's stored JSON: the frame, its id as a JSON string (ids hold no
-- control characters, so only '"' and '\' are escaped) and the other head fields as texts.
local function head_size(id, s, e, u, c, m, xt, vt)
  local _, escaped = string.gsub(id, '["\\]', '')
  return 113 + #id + 2 + escaped + #s + 2 + #e + #u + #c + #m + #xt + #vt
end

-- The stored size of a parsed document, measured whole (for a task whose size is not kept yet).
local function doc_size(doc, h, id)
  local items = #doc - h.r - 9
  local data = h.r - h.d
  return head_size(id, h.s, h.e, h.u, h.c, h.m, h.xt, h.vt)
    + items + 39 * count_in(doc, '\n', h.r + 8, #doc)
    + 2 + data - 2 * count_in(doc, '\n', h.d, h.r)
end

-- The kept stored size of a task, or (none kept, or damaged) its document measured whole.
local function stored_size(doc, h, id)
  local kept = redis.pcall('HGET', P .. 'sz', id)
  return type(kept) == 'string' and tonumber(kept) or doc_size(doc, h, id)
end
