#!/bin/sh
# test_bms_scenario.sh: `bmsrig bms --pty --scenario FILE` with a controller process (`bmsrig esc`)
# on the pty as the device under test: the scenario's declaration configures the fake BMS, its
# faults act on it, its expectations read the controller's error over the dashboard line (or
# skip without one), and the verdict is the exit code. Explicit options win over the
# declaration; a bad scenario file is exit 2 with file:line.
# usage: test_bms_scenario.sh BMSRIG
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
bms_pid=""
esc_pid=""
at_exit() {
    [ -n "$esc_pid" ] && kill "$esc_pid" 2>/dev/null
    [ -n "$bms_pid" ] && kill "$bms_pid" 2>/dev/null
}

# Starts `bmsrig bms --pty [ARGS]` (output in $W/$tag.*), then `bmsrig esc` on the pty path(s)
# it prints; waits for the bms command and leaves its exit code in $rc.
# usage: with_esc TAG NLINES ARGS...   (NLINES 1 = BMS line only, 2 = BMS and dashboard ptys)
with_esc() {
    tag=$1; nl=$2; shift 2
    "$BMSRIG" bms --pty "$@" >"$W/$tag.out" 2>"$W/$tag.err" &
    bms_pid=$!
    i=0
    while [ $i -lt 100 ] && [ "$(cat "$W/$tag.out" 2>/dev/null | wc -l)" -lt "$nl" ]; do
        sleep 0.05; i=$((i + 1))
    done
    bms=$(sed -n 1p "$W/$tag.out")
    dash=""
    [ "$nl" -eq 2 ] && dash="--dash-port $(sed -n 2p "$W/$tag.out")"
    [ -n "${ESC_DELAY:-}" ] && sleep "$ESC_DELAY"
    # shellcheck disable=SC2086
    "$BMSRIG" esc --bms-port "$bms" $dash --duration 20 >"$W/$tag.esc" 2>&1 &
    esc_pid=$!
    wait "$bms_pid"
    rc=$?
    bms_pid=""
    kill "$esc_pid" 2>/dev/null
    wait "$esc_pid" 2>/dev/null
    esc_pid=""
    cat "$W/$tag.out" "$W/$tag.err" "$W/$tag.esc"
}

# 10s3p at 80 % per the declaration; config_invalid from before the controller's handshake must
# give error 22 on the controller, kept after the config is valid again (read once per power-on).
cat >"$W/cfg22.lua" <<'LUA'
return scenario {
  name = "config_invalid on the fake BMS",
  needs = { "real_controller" },
  pack = { series = 10, parallel = 3, cell = "lg_m26", soc = 0.8, temp_c = 25 },
  bms = "m365_stock",
  run = function(t)
    t:fault("config_invalid")                         -- before the controller's handshake
    t:power_on()
    t:expect_error(22, { within = 10 })
    t:clear("config_invalid")
    t:expect_error(22, { ["for"] = 1 })               -- kept until a power cycle
    t:fault("bms_tx")                                 -- the BMS's TX wire open
    local dt = t:expect_error(21, { within = 8 })
    t:measure("error21_after_s", dt, { min = 4, max = 7, unit = "s" })
  end,
}
LUA
with_esc pass 2 --dash-pty --scenario "$W/cfg22.lua" --log "$W/pass.csv"
check "the scenario passes: exit 0 (got $rc)" test "$rc" -eq 0
check "its verdict is printed" grep -q "^scenario config_invalid on the fake BMS: pass" "$W/pass.out"
check "the controller process itself showed error 22" grep -q "error 22" "$W/pass.esc"
check "... and error 21 once the BMS TX wire was cut" grep -q "error 21" "$W/pass.esc"
check "the scenario saw error 21 over the dashboard line" grep -q "ok .* error 21 (.*cfg22.lua:13): error 21" "$W/pass.out"
"$BMSRIG" decode "$W/pass.csv" >"$W/pass.txt"
check "the declaration's soc (80 %) is served" grep -q "read-reply 0x30 .*soc=80%" "$W/pass.txt"
check "no other soc is served" sh -c "! grep 'read-reply 0x30' '$W/pass.txt' | grep -qv 'soc=80%'"
check "replies went out with status config_valid cleared" \
    grep -q "read-reply 0x30 status=0x0000" "$W/pass.txt"

# The controller never shows error 21 here: the scenario fails and the exit code says so.
cat >"$W/fail.lua" <<'LUA'
return scenario {
  name = "expects an error that does not come",
  pack = { series = 10, parallel = 3, soc = 0.8 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { within = 10 })
    t:expect_error(21, { within = 0.5 })
  end,
}
LUA
with_esc fail 2 --dash-pty --scenario "$W/fail.lua"
check "a failed expectation: exit 1 (got $rc)" test "$rc" -eq 1
check "the failed expectation is named with file:line" grep -q "FAIL.*fail.lua:7" "$W/fail.out"

# No dashboard line: the faults still reach the controller and the pack, but an expectation on
# the controller's error code cannot be observed, so the scenario skips with the reason;
# --soc 30 wins over 0.8; a thermistor fault on the pack model shows in the served registers.
cat >"$W/nodash.lua" <<'LUA'
return scenario {
  name = "no dashboard line",
  pack = { series = 10, parallel = 3, soc = 0.8 },
  run = function(t)
    t:fault("config_invalid")
    t:power_on()
    t:wait(2)
    t:ntc(1):drift(15)
    t:wait(0.7)
    t:expect_error(22, { within = 2 })
    t:fail("must not get here")
  end,
}
LUA
with_esc nodash 1 --scenario "$W/nodash.lua" --soc 30 --log "$W/nodash.csv"
check "no dashboard line: skipped, exit 0 (got $rc)" test "$rc" -eq 0
check "the skip names the dashboard line" grep -q "skip" "$W/nodash.out"
check "... with the reason" grep -q "dashboard line" "$W/nodash.out"
check "the fault was applied anyway: the controller showed error 22" grep -q "error 22" "$W/nodash.esc"
"$BMSRIG" decode "$W/nodash.csv" >"$W/nodash.txt"
check "--soc 30 overrides the declaration's 0.8" grep -q "read-reply 0x30 .*soc=30%" "$W/nodash.txt"
check "no 80 % served" sh -c "! grep -q 'soc=80%' '$W/nodash.txt'"
check "NTC 1 served at 25 C before the pack fault" grep -q "read-reply 0x30 .* t1=25C" "$W/nodash.txt"
check "... and 15 C higher after it" grep -q "read-reply 0x30 .* t1=40C" "$W/nodash.txt"

# A power cycle needs a controller power line: without one (no bench description here) the
# scenario skips with the reason instead of failing on a controller nobody switched off.
cat >"$W/cycle.lua" <<'LUA'
return scenario {
  name = "power cycle by hand",
  pack = { series = 10, parallel = 3, soc = 0.8 },
  run = function(t)
    t:power_on()
    t:power_cycle(1)
    t:fail("must not get here")
  end,
}
LUA
with_esc cycle 2 --dash-pty --scenario "$W/cycle.lua"
check "power_cycle without a power line: skipped, exit 0 (got $rc)" test "$rc" -eq 0
check "... reported as a skip" grep -q "^scenario power cycle by hand: skip" "$W/cycle.out"
check "... naming the missing power line" grep -q "no fault line named .power." "$W/cycle.out"

# Scenario time starts with the controller's first request (issue 16): a controller attached
# 1.5 s after the scenario file is given is there at t = 0, not an unknown error word (-1).
cat >"$W/early.lua" <<'LUA'
return scenario {
  name = "first expectation at once",
  pack = { series = 10, parallel = 3, soc = 0.8 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { within = 0.3 })
  end,
}
LUA
ESC_DELAY=1.5 with_esc late 2 --dash-pty --scenario "$W/early.lua" --log "$W/late.csv"
check "controller attached late: the scenario passes, exit 0 (got $rc)" test "$rc" -eq 0
check "... after waiting for its first request" grep -q "first request heard" "$W/late.err"
first=$(grep ',esc_tx,' "$W/late.csv" | head -n 1 | cut -d, -f1)
check "... which the fake BMS hears at t = 0 (logged at ${first:-none} s)" \
    sh -c "[ -n '$first' ] && awk 'BEGIN { exit !($first < 0.05) }'"
"$BMSRIG" bms --pty --dash-pty --scenario "$W/early.lua" --dut-wait 0.5 --log "$W/none.csv" \
    >"$W/none.out" 2>"$W/none.err"
rc=$?
cat "$W/none.out" "$W/none.err"
check "no controller within --dut-wait 0.5: rig fault, exit 3 (got $rc)" test "$rc" -eq 3
check "... the scenario reported as a rig fault, not started" \
    grep -q "^scenario first expectation at once: rig-fault" "$W/none.out"
check "... with a clear message" grep -q "no request from the controller on .* within 0.5 s" "$W/none.out"
check "... and the bus log closed" sh -c "'$BMSRIG' decode '$W/none.csv' >/dev/null"
"$BMSRIG" bms --pty --dut-wait 1 --duration 0.1 >/dev/null 2>"$W/dw.err"
check "--dut-wait without --scenario: exit 2" test $? -eq 2

# SIGTERM while the script runs: exit 4, the scenario reported as not run, the bus log closed.
cat >"$W/long.lua" <<'LUA'
return scenario { name = "waits", run = function(t) t:wait(30) end }
LUA
"$BMSRIG" bms --pty --scenario "$W/long.lua" --log "$W/long.csv" >"$W/long.out" 2>&1 &
bms_pid=$!
i=0
while [ $i -lt 100 ] && [ ! -s "$W/long.out" ]; do sleep 0.05; i=$((i + 1)); done
sleep 0.3
kill -TERM "$bms_pid"
wait "$bms_pid"
rc=$?
bms_pid=""
check "SIGTERM: exit 4 (got $rc)" test "$rc" -eq 4
check "SIGTERM: the scenario is reported not run" grep -q "^scenario waits: not-run" "$W/long.out"
check "SIGTERM: the bus log was written and closed" sh -c "'$BMSRIG' decode '$W/long.csv' >/dev/null"

# ... also while the pty path is being printed (stdout a full pipe: the print blocks until
# the signal arrives): the handlers are installed before the paths go out.
mkfifo "$W/full"
exec 3<>"$W/full"
head -c 65536 /dev/zero >&3
"$BMSRIG" bms --pty --scenario "$W/long.lua" >&3 2>/dev/null &
bms_pid=$!
sleep 0.5
kill -TERM "$bms_pid"
exec 4<"$W/full"   # a reader that drains the pipe, so that later output cannot block
exec 3>&-
cat <&4 >/dev/null &
wait "$bms_pid"
rc=$?
bms_pid=""
exec 4<&-
check "SIGTERM while the pty path is being printed: exit 4 (got $rc)" test "$rc" -eq 4

# bad input: exit 2, file:line for files, the option's name for options
printf 'return scenario {\n  name = "x",\n  run = function(t) t:wait(1 end,\n}\n' >"$W/bad.lua"
"$BMSRIG" bms --pty --scenario "$W/bad.lua" >"$W/bad.out" 2>"$W/bad.err"
rc=$?
cat "$W/bad.err"
check "syntax error: exit 2 (got $rc)" test "$rc" -eq 2
check "syntax error: file:line" grep -q "bad.lua:3:" "$W/bad.err"
check "syntax error: no pty opened" test ! -s "$W/bad.out"
cat >"$W/baddecl.lua" <<'LUA'
return scenario {
  name = "bad pack",
  pack = { series = 10, parallel = 3, soc = 5 },
  run = function(t) t:wait(1) end,
}
LUA
"$BMSRIG" bms --pty --scenario "$W/baddecl.lua" >"$W/bd.out" 2>"$W/bd.err"
rc=$?
cat "$W/bd.err"
check "bad declaration: exit 2 (got $rc)" test "$rc" -eq 2
check "bad declaration: file:line and the field" grep -q "baddecl.lua:[0-9][0-9]*: scenario: pack.soc" "$W/bd.err"
check "bad declaration: refused before a pty is opened" test ! -s "$W/bd.out"
"$BMSRIG" bms --pty --scenario "$W/cfg22.lua" --profile generic_12s >"$W/mm.out" 2>"$W/mm.err"
rc=$?
cat "$W/mm.err"
check "--profile generic_12s on the declared 10s pack: exit 2 naming the mismatch (got $rc)" \
    sh -c "[ $rc -eq 2 ] && grep -q 'cfg22.lua:[0-9]*: scenario: bms .generic_12s. measures 12 groups' '$W/mm.err'"
check "--profile generic_12s --pack 12s4p: accepted (the run starts and waits for the controller)" \
    sh -c "timeout 1 '$BMSRIG' bms --pty --dash-pty --scenario '$W/cfg22.lua' --profile generic_12s --pack 12s4p >'$W/ok.out' 2>&1; [ \$? -eq 124 ] && grep -q /dev/ '$W/ok.out'"
"$BMSRIG" bms --pty --scenario "$W/missing.lua" >/dev/null 2>"$W/m.err"
rc=$?
check "missing file: exit 2 (got $rc)" test "$rc" -eq 2
"$BMSRIG" bms --pty --scenario "$W/cfg22.lua" --fault bms_tx >/dev/null 2>"$W/o1.err"
rc=$?
check "--fault with --scenario: exit 2 naming --fault (got $rc)" \
    sh -c "[ $rc -eq 2 ] && grep -q -- '--fault' '$W/o1.err'"
"$BMSRIG" bms --pty --dash-pty >/dev/null 2>"$W/o2.err"
rc=$?
check "--dash-pty without --scenario: exit 2 (got $rc)" test "$rc" -eq 2
"$BMSRIG" bms --pty --scenario "$W/cfg22.lua" --profile nosuch >/dev/null 2>"$W/o3.err"
rc=$?
check "unknown --profile with --scenario: exit 2 naming --profile (got $rc)" \
    sh -c "[ $rc -eq 2 ] && grep -q -- '--profile' '$W/o3.err'"

finish
