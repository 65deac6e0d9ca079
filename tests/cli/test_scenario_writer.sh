#!/bin/sh
# test_scenario_writer.sh BMSRIG SOURCE_DIR: the errors a scenario writer meets name their own file and
# line and say what would be right: an unknown scenario field suggests the nearest one and lists
# them all, a method a handle lacks names the handle and its methods, and tracebacks leave out
# the compiled-in prelude's frames.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC_COMM=$2/scripts/comm

cat >"$W/field.lua" <<'LUA'
return scenario {
  name = "typo in a field",
  tag = { "comm" },
  run = function(t) end,
}
LUA
"$BMSRIG" run "$W/field.lua" >"$W/field.out" 2>&1
check "an unknown field is an error" test $? -ne 0
check "... naming the file, the nearest field and every field" \
    grep -q "field.lua:[0-9]*: scenario: unknown field 'tag' (did you mean 'tags'?); the fields are ambient_c, bms, description, esc, name, needs, pack, run, tags, tick_ms, timeout" "$W/field.out"
cat >"$W/field2.lua" <<'LUA'
return scenario { name = "far from any field", zzzzzz = 1, run = function(t) end }
LUA
"$BMSRIG" run "$W/field2.lua" >"$W/field2.out" 2>&1
check "no suggestion when nothing is near" \
    grep -q "unknown field 'zzzzzz'; the fields are ambient_c," "$W/field2.out"

cat >"$W/method.lua" <<'LUA'
return scenario {
  name = "a method the handle lacks",
  run = function(t)
    t:power_on()
    t:group(3):offset(-150)
  end,
}
LUA
"$BMSRIG" run "$W/method.lua" >"$W/method.out" 2>&1
check "a group method typo names the handle, a suggestion and the methods" \
    grep -q "method.lua:5: t:group(3) has no method 'offset' (did you mean 'offset_mv'?); its methods: bleeding, moisture, offset_mv, offset_soc," "$W/method.out"
cat >"$W/method2.lua" <<'LUA'
return scenario {
  name = "a method t lacks",
  run = function(t)
    t:wiat(1)
  end,
}
LUA
"$BMSRIG" run "$W/method2.lua" >"$W/method2.out" 2>&1
check "a t method typo names t and suggests wait" \
    grep -q "method2.lua:4: t has no method 'wiat' (did you mean 'wait'?); its methods: " "$W/method2.out"
check "... and lists every method" grep -q "its methods: .*expect_error.*ntc.*wait" "$W/method2.out"
cat >"$W/method3.lua" <<'LUA'
return scenario { name = "ntc typo", run = function(t) t:ntc(2):set(50) end }
LUA
"$BMSRIG" run "$W/method3.lua" >"$W/method3.out" 2>&1
check "an ntc handle typo suggests set_c" grep -q "t:ntc(2) has no method 'set' (did you mean 'set_c'?)" "$W/method3.out"

cat >"$W/deep.lua" <<'LUA'
local function helper(t) t:expect_error(0, { within = "soon" }) end
return scenario {
  name = "an argument error two calls deep",
  run = function(t)
    t:power_on()
    helper(t)
  end,
}
LUA
"$BMSRIG" run "$W/deep.lua" >"$W/deep.out" 2>&1
check "a run-time error names the script line" grep -q "deep.lua:1: expect_error: 'within' must be a number" "$W/deep.out"
check "... and its traceback walks the script's own frames" \
    sh -c "grep -q 'deep.lua:1: in upvalue .helper.' '$W/deep.out' && grep -q 'deep.lua:6: in field .run.' '$W/deep.out'"
check "no traceback shows a prelude frame" sh -c "! grep -h 'prelude:' '$W'/*.out"
check "no traceback shows the C error function the prelude raised with" \
    sh -c "! grep -h \"in function 'error'\" '$W'/*.out"
# The run summary: whole names (the column widens to the longest), every failed expectation
# and measurement under its scenario, and --suppress-faults says which scenarios inject none.
cat >"$W/long.lua" <<'LUA'
return scenario {
  name = "a scenario that fails on purpose, with a name long enough to need more than sixty columns",
  run = function(t)
    t:power_on()
    t:measure("pack_v", t:voltage(), { max = 10, unit = "V" })
    t:expect_error(0, { within = 4 })
    t:measure("soc_pct", 80, { min = 0, max = 100, unit = "%" })
    t:measure("cells", 10, { min = 12 })
    t:expect_error(21, { within = 0.5 })
  end,
}
LUA
cat >"$W/quiet.lua" <<'LUA'
return scenario { name = "a passing scenario without faults", run = function(t) t:wait(0.1) end }
LUA
"$BMSRIG" run "$W/long.lua" "$W/quiet.lua" >"$W/summary.out" 2>&1
check "the summary shows the whole long name on its row" \
    grep -q '^a scenario that fails on purpose, with a name long enough to need more than sixty columns fail ' "$W/summary.out"
check "the failed expectation is listed under it" \
    grep -q '^    expectation failed: .*long.lua:9: error 21: still false after 0.500 s' "$W/summary.out"
check "every failed measurement is listed, with its limits" \
    sh -c "grep -q '^    measurement outside its limits: pack_v = [0-9.]* V, limit <= 10 ' '$W/summary.out' && grep -q '^    measurement outside its limits: cells = 10, limit >= 12 ' '$W/summary.out'"
check "a passing measurement is not listed" sh -c "! grep -q 'soc_pct' '$W/summary.out'"
"$BMSRIG" run --suppress-faults "$W/quiet.lua" "$SRC_COMM/esc_tx_cut.lua" >"$W/suppress.out" 2>&1
check "--suppress-faults marks a scenario that injects no fault" \
    grep -q '^a passing scenario without faults .*pass .*(no fault to suppress)$' "$W/suppress.out"
check "... and not the one that does" sh -c "! grep 'ESC TX cut' '$W/suppress.out' | grep -q 'no fault to suppress'"
finish
