#!/bin/sh
# test_run_rig_unopened.sh: `bmsrig run --rig` when the bench cannot be opened (its lock held by
# another run, no such device, the controller's serial lines missing, a bad description): the
# exit code stays 3 (2 for the bad description), and the JUnit, JSON and TAP reports are still
# written, every selected scenario in them not run with the rig's error as the reason.
# usage: test_run_rig_unopened.sh BMSRIG EMU_DIR SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
EMU=$2
SRC=$3
export LD_LIBRARY_PATH="$EMU" BMSRIG_LOCK_DIR="$W" BMSRIG_EMU_LOG="$W/emu.log"
unset BMSRIG_EMU_FAULTS BMSRIG_EMU_CONFIG BMSRIG_EMU_VCD
board="$SRC/hw/boards/emulated.lua"
XSD="$SRC/tests/data/junit-10.xsd"

cat >"$W/a.lua" <<'LUA'
return scenario { name = "bench scenario A", run = function(t) t:power_on(); t:wait(0.2) end }
LUA
cat >"$W/b.lua" <<'LUA'
return scenario { name = "bench scenario B", run = function(t) t:power_on(); t:wait(0.2) end }
LUA

# reports CASE WANT_RC PATTERN: the reports of the last run say both scenarios were not run,
# with PATTERN (the rig's error) as the reason.
reports() {
    c=$1; want=$2; pat=$3
    check "$c: exit $want (got $rc)" test "$rc" -eq "$want"
    check "$c: the error is on stderr" grep -q -- "$pat" "$W/err"
    check "$c: JUnit written and valid against junit-10.xsd" \
        xmllint --noout --schema "$XSD" "$W/$c.xml"
    check "$c: JUnit has two not-run errors with the reason" \
        test "$(grep -c "<error type=\"not-run\" message=\"not run: .*$pat" "$W/$c.xml" 2>/dev/null)" = 2
    check "$c: JSON written: incomplete, 2 of 2 not run" \
        jqe '.complete == false and .target == "rig" and .counts.total == 2 and .counts.not_run == 2 and .counts.pass == 0' "$W/$c.json"
    check "$c: JSON: each scenario not-run with the reason" \
        jqe "[.scenarios[] | select(.verdict == \"not-run\" and (.message | startswith(\"not run: \")) and (.message | contains(\"$pat\")))] | length == 2" "$W/$c.json"
    check "$c: JSON names the reason for the whole run" \
        jqe ".incomplete_reason | contains(\"$pat\")" "$W/$c.json"
    check "$c: TAP plan 1..2 and two not ok" \
        sh -c "grep -qx '1..2' '$W/out' && test \"\$(grep -c '^not ok [12] - bench scenario' '$W/out')\" -eq 2"
    check "$c: TAP says why the run is incomplete" grep -q "^# run incomplete: .*$pat" "$W/out"
    check "$c: TAP does not claim an interrupt" sh -c "! grep -q 'interrupted' '$W/out'"
}

# 1. The bench lock is held by another process (flock(1) holds it while bmsrig runs).
touch "$W/bmsrig-ftdi-BMSEMU01.lock"
flock "$W/bmsrig-ftdi-BMSEMU01.lock" "$BMSRIG" run --rig "$board" "$W/a.lua" "$W/b.lua" \
    --junit "$W/lock.xml" --json "$W/lock.json" --tap >"$W/out" 2>"$W/err"
rc=$?
reports lock 3 "in use by another run"

# 2. No such device (the emulator has only BMSEMU01).
cat >"$W/nodev.lua" <<'LUA'
return board { extends = "emulated", name = "nodev",
  ftdi = { vid = 0x0403, pid = 0x6014, serial = "NOSUCH99", interface = "A", spi_hz = 6000000 } }
LUA
"$BMSRIG" run --rig "$W/nodev.lua" "$W/a.lua" "$W/b.lua" \
    --junit "$W/nodev.xml" --json "$W/nodev.json" --tap >"$W/out" 2>"$W/err"
rc=$?
reports nodev 3 "NOSUCH99"

# 3. The bench opens, the controller's serial lines do not.
cat >"$W/noserial.lua" <<'LUA'
return board { extends = "emulated", name = "noserial",
  serial = { bms = "/nonexistent/ttyBMS", dash = "pty" } }
LUA
"$BMSRIG" run --rig "$W/noserial.lua" "$W/a.lua" "$W/b.lua" \
    --junit "$W/serial.xml" --json "$W/serial.json" --tap >"$W/out" 2>"$W/err"
rc=$?
reports serial 3 "/nonexistent/ttyBMS"
check "serial: the bench lock was released (a second open succeeds)" \
    flock -n "$W/bmsrig-ftdi-BMSEMU01.lock" true

# 4. A description that does not parse: exit 2 as before, reports written all the same.
printf 'return board { name = "bad", ftdi = { serial = "X" }, dacs = { dac { name = "a", model = "nope", cs = "ADBUS3" } }, channels = {} }\n' >"$W/bad.lua"
"$BMSRIG" run --rig "$W/bad.lua" "$W/a.lua" "$W/b.lua" \
    --junit "$W/bad.xml" --json "$W/bad.json" --tap >"$W/out" 2>"$W/err"
rc=$?
reports bad 2 "bad.lua:1:"

# 5. Progress (stdout without --tap) lists both as not run.
flock "$W/bmsrig-ftdi-BMSEMU01.lock" "$BMSRIG" run --rig "$board" "$W/a.lua" "$W/b.lua" \
    >"$W/out" 2>"$W/err"
rc=$?
check "without reports: exit 3 (got $rc)" test "$rc" -eq 3
check "summary counts 2 not run" grep -q "2 scenarios: 0 passed, 0 failed, 0 errors, 0 skipped, 2 not run" "$W/out"

finish
