-- Lua twin of binary_trees.toy
local function make_tree(depth)
  if depth == 0 then return {} end
  depth = depth - 1
  return {make_tree(depth), make_tree(depth)}
end
local function check_tree(node)
  local left = node[1]
  if left == nil then return 1 end
  return 1 + check_tree(left) + check_tree(node[2])
end
local max_depth = tonumber(arg[1]) or 15
local min_depth = 4
local stretch = max_depth + 1
print(string.format("stretch tree of depth %d\t check: %d", stretch, check_tree(make_tree(stretch))))
local long_lived = make_tree(max_depth)
local depth = min_depth
while depth <= max_depth do
  local iterations = 2 ^ (max_depth - depth + min_depth)
  local check = 0
  for _ = 1, iterations do check = check + check_tree(make_tree(depth)) end
  print(string.format("%d\t trees of depth %d\t check: %d", iterations, depth, check))
  depth = depth + 2
end
print(string.format("long lived tree of depth %d\t check: %d", max_depth, check_tree(long_lived)))
