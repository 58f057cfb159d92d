-- Prelude of every taskvault script (prepended first when a script is built).
--
-- KEYS[1] of every script is its bucket's lex index, "<P>idx", where P is the bucket prefix
-- "{<keyPrefix>:<base64url namespace>:<bucket>}:v2:". Every other key a script touches is P plus a
-- suffix, so it hashes to the same cluster slot (the hash tag is the first {...} of the key).
local IDX = KEYS[1]
local P = string.sub(IDX, 1, -4)
-- The bucket's bookkeeping hash: taskId -> "<lex member>\31<index suffix>\31<index suffix>...".
local IX = P .. 'ix'
