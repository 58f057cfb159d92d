-- load-terminal: a task's document read again together with its live-until score, in one step,
-- for `load` of a task its GET found in a terminal status (only those can end before their
-- expiresAt, see lib/live.lua). A GET and then a ZSCORE from the client could pair a dead task's
-- document with the score of a task created anew under its id in between. Read only.
-- KEYS[1] P idx          KEYS[2] P t:<id>
-- ARGV[1] taskId
-- Returns { document | false, score | false } | { false, false, 'WRONGTYPE' } (not a string now)
local doc = redis.pcall('GET', KEYS[2])
if type(doc) == 'table' and doc.err then return { false, false, 'WRONGTYPE' } end
local score = redis.pcall('ZSCORE', P .. 'exp', ARGV[1])
-- a foreign value under the index: the task keeps its expiresAt, as the write scripts read it
if type(score) ~= 'string' then score = false end
return { doc or false, score }
