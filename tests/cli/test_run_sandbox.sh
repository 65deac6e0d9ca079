#!/bin/sh
# test_run_sandbox.sh BMSRIG SOURCE_DIR: no object the scenario API hands out exposes a metatable (issue 16,
# red team 3). A script that reached one could add a __gc finalizer to it (Lua runs finalizers
# outside the instruction budget: an endless loop only the watchdog catches, on a thread left
# spinning) or rewrite the methods of every object that shares it. Checked for each object: t,
# t:group(), t:cell(), t:ntc(), the t:output() handle and the declaration scenario{} returns;
# then the attack itself on each, which must end as a plain script error at once. And files:
# t:replay and pack.cell cannot read files outside the scenario's folder and the shipped data,
# nor quote a foreign file's content.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC_DIR=$2

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
    -- o.__index: nil, or the handle's "has no method" error; never the metatable's methods
    local ok, v = pcall(function() return o.__index end)
    if rawget(o, "__index") ~= nil or (ok and v ~= nil) then t:fail(what .. ": __index reachable") end
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
expect_exit 0 "every API object keeps its metatable to itself" \
    "$BMSRIG" run --trace "$W/tr" "$W/objects.lua"
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
    expect_exit_within 2 2500 "getmetatable($obj).__gc = loop: script error at once" \
        timeout -s KILL 30 "$BMSRIG" run --watchdog 3 --trace "$W/tr2" "$W/gc.lua"
    check "... naming the line" has "gc.lua:2:" "$W/out"
done

# 3. the shared string metatable is protected too (its __index is every string's methods)
cat >"$W/str.lua" <<'LUA'
return scenario { name = "string metatable", run = function(t)
  if type(getmetatable("")) ~= "string" then t:fail("the string metatable is reachable") end
  if ("abc"):upper() ~= "ABC" then t:fail("string methods broke") end
end }
LUA
expect_exit 0 "the string metatable is out of reach, string methods work" \
    "$BMSRIG" run "$W/str.lua"
# 4. t:replay reads files under the scenario's folder or the shipped fixtures/ only; a foreign
# file's content never reaches a message (issue 16, red team 5)
mkdir -p "$W/rp"
printf 't_s,current_a\n0,1\n1,1\n' >"$W/rp/ok.csv"
ln -s /etc/passwd "$W/rp/link.csv"
for case in "/etc/passwd|absolute path" "../../../../../../../../etc/passwd|leads outside" \
            "link.csv|leads outside"; do
    path=${case%%|*}; reason=${case#*|}
    cat >"$W/rp/replay.lua" <<LUA
return scenario { name = "replay escape", run = function(t) t:replay("$path") end }
LUA
    expect_exit 2 "t:replay('$path') refused" "$BMSRIG" run --json "$W/rp/r.json" "$W/rp/replay.lua"
    check "... saying it is '$reason'" grep -q "$reason" "$W/out" "$W/err"
    check "... and nothing of the file in the report or the output" \
        not grep -q 'root:' "$W/rp/r.json" "$W/out" "$W/err"
done
cat >"$W/rp/replay.lua" <<'LUA'
return scenario { name = "replay inside", run = function(t)
  t:replay("ok.csv")
  t:replay("../rp/ok.csv")
  t:wait(0.5)
end }
LUA
expect_exit 0 "t:replay of a file in the scenario's folder still works" \
    "$BMSRIG" run "$W/rp/replay.lua"
expect_exit 0 "the library's ../../fixtures/rides replay still works from another folder" \
    sh -c 'cd "$1" && "$2" run --json "$1/lib.json" "$3"' sh "$W" "$BMSRIG" \
    "$SRC_DIR/scripts/controller/replay_commute.lua"

# 5. a cell set given as a path to a foreign file: refused without quoting it
cat >"$W/cell.lua" <<'LUA'
return scenario { name = "cell escape", pack = { cell = "../../../../../../../../etc/passwd" },
                  run = function(t) end }
LUA
expect_exit 2 "pack.cell = '../../etc/passwd': a script error" \
    "$BMSRIG" run --json "$W/cell.json" "$W/cell.lua"
check "... that quotes nothing of the file" not grep -q 'root:' "$W/cell.json" "$W/out" "$W/err"
check "... and says a cell set is a name, not a path" has "not a cell set name" "$W/cell.json"
printf 'name evil\n' >"$W/evil.cell"
cat >"$W/cell2.lua" <<'LUA'
return scenario { name = "cell path", pack = { cell = "evil.cell" }, run = function(t) end }
LUA
expect_exit 2 "pack.cell = 'evil.cell' (a path by its suffix) is refused too" \
    sh -c 'cd "$1" && "$2" run --json "$1/cell2.json" "$1/cell2.lua"' sh "$W" "$BMSRIG"
check "... as not a cell set name" has "not a cell set name" "$W/cell2.json"

finish
