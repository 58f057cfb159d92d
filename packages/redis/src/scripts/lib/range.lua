-- Ranges of the lex index (needs prelude.lua): every index is the run of IDX members
-- "<suffix>\0<lex>", and a range of one is given by bound specs: '[' (inclusive) or '(' (exclusive)
-- and a lex member prefix, or '' for no bound on that side.

-- The ZRANGE BYLEX bound of one index's range on one side (`low` says which).
local function lex_bound(suffix, spec, low)
  if spec ~= '' then return string.sub(spec, 1, 1) .. suffix .. '\0' .. string.sub(spec, 2) end
  return low and ('[' .. suffix .. '\0') or ('(' .. suffix .. '\1')
end

-- Bytewise a < b (Lua's own < uses the server's locale collation, which need not be bytewise).
local function bytes_less(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
