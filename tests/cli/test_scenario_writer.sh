#!/bin/sh
# test_scenario_writer.sh BMSRIG: the errors a scenario writer meets name their own file and
# line and say what would be right: an unknown scenario field suggests the nearest one and lists
# them all, a method a handle lacks names the handle and its methods, and tracebacks leave out
# the compiled-in prelude's frames.
set -u
BMSRIG=$1
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
    desc=$1; shift
    if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fail=1; fi
}

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

check "no traceback shows a prelude frame" sh -c "! grep -h 'prelude:' '$W'/field*.out"
check "no traceback shows the C error function the prelude raised with" \
    sh -c "! grep -h \"in function 'error'\" '$W'/field*.out"
exit $fail
