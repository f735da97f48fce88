-- Lua twin of dict_string.toy
local function run(n)
  local counts, words = {}, {}
  for i = 0, n - 1 do
    local key = "k" .. tostring(i % 1000)
    counts[key] = (counts[key] or 0) + 1
    if i % 10 == 0 then words[#words + 1] = string.upper(key) end
  end
  local text = table.concat(words, " ")
  local parts = {}
  for p in string.gmatch(text, "[^ ]+") do parts[#parts + 1] = p end
  local total = 0
  for k, v in pairs(counts) do total = total + v * #k end
  local seen, nseen = {}, 0
  for _, p in ipairs(parts) do
    local l = string.lower(p)
    if not seen[l] then seen[l] = true; nseen = nseen + 1 end
  end
  return total, #parts, nseen
end
local n = tonumber(arg[1]) or 2400000
local a, b, c = run(n)
print(string.format("(%d, %d, %d)", a, b, c))
