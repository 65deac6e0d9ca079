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
BMSRIG=$1
SRC_DIR=$2
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
# 4. t:replay reads files under the scenario's folder or the shipped fixtures/ only; a foreign
# file's content never reaches a message (issue 16, red team 5)
mkdir -p "$W/rp"
printf 't_s,current_a\n0,1\n1,1\n' >"$W/rp/ok.csv"
ln -s /etc/passwd "$W/rp/link.csv"
for case in "/etc/passwd|absolute path" "../../../../../../../../etc/passwd|leads outside" \
            "link.csv|leads outside"; do
    path=${case%%|*}; want=${case#*|}
    cat >"$W/rp/replay.lua" <<LUA
return scenario { name = "replay escape", run = function(t) t:replay("$path") end }
LUA
    "$BMSRIG" run --json "$W/rp/r.json" "$W/rp/replay.lua" >"$W/out" 2>&1
    rc=$?
    check "t:replay('$path') refused: exit 2 (got $rc), '$want'" \
        sh -c "[ $rc -eq 2 ] && grep -q '$want' '$W/out'"
    check "... and nothing of the file in the report" sh -c "! grep -q 'root:' '$W/rp/r.json' '$W/out'"
done
cat >"$W/rp/replay.lua" <<'LUA'
return scenario { name = "replay inside", run = function(t)
  t:replay("ok.csv")
  t:replay("../rp/ok.csv")
  t:wait(0.5)
end }
LUA
"$BMSRIG" run "$W/rp/replay.lua" >"$W/out" 2>&1
check "t:replay of a file in the scenario's folder still works (exit $?)" test $? -eq 0
(cd "$W" && "$BMSRIG" run --json "$W/lib.json" "$SRC_DIR/scripts/controller/replay_commute.lua" >/dev/null 2>&1)
check "the library's ../../fixtures/rides replay still works from another folder (exit $?)" test $? -eq 0

# 5. a cell set given as a path to a foreign file: refused without quoting it
cat >"$W/cell.lua" <<'LUA'
return scenario { name = "cell escape", pack = { cell = "../../../../../../../../etc/passwd" },
                  run = function(t) end }
LUA
"$BMSRIG" run --json "$W/cell.json" "$W/cell.lua" >"$W/out" 2>&1
rc=$?
check "pack.cell = '../../etc/passwd': a script error (exit $rc)" test $rc -eq 2
check "... that quotes nothing of the file" sh -c "! grep -q 'root:' '$W/cell.json' '$W/out'"
check "... and says a cell set is a name, not a path" grep -q "not a cell set name" "$W/cell.json"
printf 'name evil\n' >"$W/evil.cell"
cat >"$W/cell2.lua" <<'LUA'
return scenario { name = "cell path", pack = { cell = "evil.cell" }, run = function(t) end }
LUA
(cd "$W" && "$BMSRIG" run --json "$W/cell2.json" "$W/cell2.lua" >/dev/null 2>&1)
check "pack.cell = 'evil.cell' (a path by its suffix) is refused too (exit $?)" \
    grep -q "not a cell set name" "$W/cell2.json"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
