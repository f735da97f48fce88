-- Lua twin of loops.toy
local function work(n)
  local total, acc = 0, 0.0
  for i = 0, n - 1 do
    for j = 0, 99 do
      total = total + (i * j) % 7
      acc = acc + j * 0.5
    end
  end
  return total, acc
end
local n = tonumber(arg[1]) or 80000
local t, a = work(n)
print(string.format("%d %.1f", t, a))
