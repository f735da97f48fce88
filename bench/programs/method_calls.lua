-- Lua twin of method_calls.toy
local Counter = {}
Counter.__index = Counter
function Counter.new(start) return setmetatable({value = start, steps = 0}, Counter) end
function Counter:bump(k) self.value = self.value + k; self.steps = self.steps + 1; return self.value end
function Counter:get() return self.value end
local DoubleCounter = setmetatable({}, {__index = Counter})
DoubleCounter.__index = DoubleCounter
function DoubleCounter.new(start) return setmetatable({value = start, steps = 0}, DoubleCounter) end
function DoubleCounter:bump(k) return Counter.bump(self, 2 * k) end
local function run(n)
  local a, b, total = Counter.new(0), DoubleCounter.new(1), 0
  for i = 0, n - 1 do
    total = total + a:bump(1) + b:bump(i & 3)
    total = total - a:get()
  end
  return total, a.steps, b.steps
end
local n = tonumber(arg[1]) or 1500000
local t, s1, s2 = run(n)
print(string.format("(%d, %d, %d)", t, s1, s2))
