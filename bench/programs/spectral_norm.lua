-- Lua twin of spectral_norm.toy
local function A(i, j)
  local ij = i + j
  return 1.0 / (ij * (ij + 1) // 2 + i + 1)
end
local function Av(u)
  local n, r = #u, {}
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do s = s + A(i, j) * u[j + 1] end
    r[i + 1] = s
  end
  return r
end
local function Atv(u)
  local n, r = #u, {}
  for i = 0, n - 1 do
    local s = 0.0
    for j = 0, n - 1 do s = s + A(j, i) * u[j + 1] end
    r[i + 1] = s
  end
  return r
end
local function AtAv(u) return Atv(Av(u)) end
local n = tonumber(arg[1]) or 300
local u, v = {}, nil
for i = 1, n do u[i] = 1.0 end
for _ = 1, 10 do v = AtAv(u); u = AtAv(v) end
local vBv, vv = 0.0, 0.0
for i = 1, n do vBv = vBv + u[i] * v[i]; vv = vv + v[i] * v[i] end
print(string.format("%0.9f", math.sqrt(vBv / vv)))
