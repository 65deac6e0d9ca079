#!/bin/sh
# test_run_sandbox.sh BMSRIG: no object the scenario API hands out exposes a metatable (issue 16,
# red team 3). A script that reached one could add a __gc finalizer to it (Lua runs finalizers
# outside the instruction budget: an endless loop only the watchdog catches, on a thread left
# spinning) or rewrite the methods of every object that shares it. Checked for each object: t,
# t:group(), t:cell(), t:ntc(), the t:output() handle and the declaration scenario{} returns;
# then the attack itself on each, which must end as a plain script error at once.
set -u
BMSRIG=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# 1. every object: getmetatable gives the protection string, setmetatable fails, no __index
cat >"$W/objects.lua" <<'LUA'
local decl = scenario { name = "objects keep their metatables", run = function(t)
  local objects = {
    t = t, group = t:group(1), cell = t:cell(1, 1), ntc = t:ntc(1), output = t:output("o.txt"),
  }
  for what, o in pairs(objects) do
    local mt = getmetatable(o)
    if type(mt) ~= "string" then t:fail(what .. ": getmetatable gave a " .. type(mt)) end
    if pcall(setmetatable, o, {}) then t:fail(what .. ": setmetatable succeeded") end
    if rawget(o, "__index") ~= nil or o.__index ~= nil then t:fail(what .. ": __index reachable") end
  end
  -- the handle still writes (chained), flushes and closes
  local out = objects.output
  if out:write("a", 1):write("b\n") ~= out then t:fail("write does not chain") end
  out:flush()
  out:close()
end }
if type(getmetatable(decl)) ~= "string" then error("the declaration's metatable is reachable") end
return decl
LUA
"$BMSRIG" run --trace "$W/tr" "$W/objects.lua" >"$W/out" 2>&1
rc=$?
check "every API object keeps its metatable to itself (exit $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$W/out"
check "the output handle still writes its file" grep -qx "a1b" "$W/tr/o.txt"

# 2. the attack on each object: a script error at once, never a finalizer loop. The watchdog
# is 3 s so that a regression shows as a watchdog verdict (exit 1), not as a pass.
for obj in 't' 't:group(1)' 't:cell(1, 1)' 't:ntc(1)' 't:output("x.txt")'; do
    cat >"$W/gc.lua" <<LUA
return scenario { name = "finalizer via an object's metatable", run = function(t)
  getmetatable($obj).__gc = function() while true do end end
  for i = 1, 100 do local _ = $obj end
  collectgarbage()
end }
LUA
    t0=$(now_ms)
    timeout -s KILL 30 "$BMSRIG" run --watchdog 3 --trace "$W/tr2" "$W/gc.lua" >"$W/out" 2>&1
    rc=$?
    el=$(($(now_ms) - t0))
    check "getmetatable($obj).__gc = loop: script error, exit 2 (got $rc in $el ms)" \
        sh -c "[ $rc -eq 2 ] && [ $el -lt 2500 ]"
    check "... naming the line" grep -q "gc.lua:2:" "$W/out"
done

# 3. the shared string metatable is protected too (its __index is every string's methods)
cat >"$W/str.lua" <<'LUA'
return scenario { name = "string metatable", run = function(t)
  if type(getmetatable("")) ~= "string" then t:fail("the string metatable is reachable") end
  if ("abc"):upper() ~= "ABC" then t:fail("string methods broke") end
end }
LUA
"$BMSRIG" run "$W/str.lua" >"$W/out" 2>&1
check "the string metatable is out of reach, string methods work (exit $?)" test $? -eq 0
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
