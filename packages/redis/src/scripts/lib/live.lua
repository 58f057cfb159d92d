-- A task's live-until instant (needs prelude.lua and doc.lua): when it stops existing, the earlier
-- of its expiresAt (x in its document's head) and, in a status its writer's retention policy
-- names, its updatedAt plus that duration. The document keeps x as the caller set it; the
-- live-until instant is the task's score in the expiry indexes exp and ex:<status>, which the
-- write that stored the task set in the same step. Only a terminal status can carry a retention
-- deadline, so an active task's live-until is its x, read off the head at no cost, and only a
-- terminal task's costs one ZSCORE (O(1)). Data written before retention existed is scored by x.

local TERMINAL = { completed = true, failed = true, cancelled = true }

-- The live-until instant of the task `id` whose parsed head is `h` (number, or nil for never) and
-- its text ('null' for never), for the bucket with prefix `p` (default: this script's bucket).
-- The earlier of x and the exp score, so an exp entry that damage left later than x never
-- lengthens a task's life.
local function live_until(h, id, p)
  if not TERMINAL[h.s] then
    if h.x then return h.x, h.xt or string.format('%.0f', h.x) end
    return nil, 'null'
  end
  local score = redis.pcall('ZSCORE', (p or P) .. 'exp', id)
  local l = type(score) == 'string' and tonumber(score) or nil
  if l and (not h.x or l < h.x) then return l, string.format('%.0f', l) end
  if h.x then return h.x, h.xt or string.format('%.0f', h.x) end
  return nil, 'null'
end

-- True when the task `id` whose parsed head is `h` is live at `now` (ms): what reads check per
-- task. An expiresAt already passed settles it without the ZSCORE.
local function is_live(h, id, now, p)
  if h.x and h.x <= now then return false end
  if not TERMINAL[h.s] then return true end
  local score = redis.pcall('ZSCORE', (p or P) .. 'exp', id)
  return type(score) ~= 'string' or tonumber(score) > now
end
