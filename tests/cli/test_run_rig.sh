#!/bin/sh
# test_run_rig.sh: `bmsrig run --rig` on the emulated bench (the emulator as libusb-1.0.so.0
# under the real libftdi1): the models drive the DAC channels each tick, wire faults switch the
# relays, a fault the bench lacks skips the scenario, the bench ends in its safe state, a bad
# description is exit 2, an unplugged bench is exit 3.
# usage: test_run_rig.sh BMSRIG EMU_DIR SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
EMU=$2
SRC=$3
export LD_LIBRARY_PATH="$EMU" BMSRIG_LOCK_DIR="$W" BMSRIG_EMU_LOG="$W/emu.log"
unset BMSRIG_EMU_FAULTS BMSRIG_EMU_CONFIG BMSRIG_EMU_VCD
board="$SRC/hw/boards/emulated.lua"

cat >"$W/relay.lua" <<'LUA'
return scenario {
  name = "bench: data line cut through the bms_tx relay",
  tags = { "fault" },
  pack = { soc = 0.8 },
  run = function(t)
    t:power_on()
    t:expect_error(0, { ["for"] = 1 })
    t:fault("bms_tx", "open")
    t:expect_error(21, { within = 7 })
    t:clear("bms_tx")
    t:expect_error(0, { within = 0.5 })
    t:fault("esc_resistor", "burnt")
    t:wait(0.3)
    t:clear("esc_resistor")
  end,
}
LUA
"$BMSRIG" run --rig "$board" "$W/relay.lua" --json "$W/r.json" >"$W/out" 2>&1
rc=$?
check "bench scenario passes (exit $rc)" test "$rc" -eq 0
cat "$W/out" | sed -n '2,3p'
check "JSON says target rig, real-time clock" sh -c "jq -e '.target == \"rig\" and .clock == \"realtime\" and .scenarios[0].verdict == \"pass\"' '$W/r.json' >/dev/null"
check "the bms_tx relay was energised" grep -q "relay bms_tx 1" "$W/emu.log"
check "and released again" grep -q "relay bms_tx 0" "$W/emu.log"
check "esc_resistor 'burnt' selected the series_r bank's burnt position" grep -q "relay series_r_burnt 1" "$W/emu.log"
check "cell 1's DAC channel carried the model's ~3.97 V" sh -c "awk '\$2 == \"dac\" && \$3 == \"cells_a\" && \$4 == \"0\" && \$6 > 3.9 && \$6 < 4.05 { n++ } END { exit !(n > 0) }' '$W/emu.log'"
check "the pack set-point channel carried ~39.7 V / 5" sh -c "awk '\$2 == \"dac\" && \$3 == \"aux\" && \$4 == \"0\" && \$6 > 7.8 && \$6 < 8.1 { n++ } END { exit !(n > 0) }' '$W/emu.log'"
check "every relay released at the end" test -z "$(relays_on "$W/emu.log")"
check "cell 1 back at its safe 0 V at the end" sh -c "awk '\$2 == \"dac\" && \$3 == \"cells_a\" && \$4 == \"0\" { v = \$6 } END { exit !(v == 0) }' '$W/emu.log'"

cat >"$W/moist.lua" <<'LUA'
return scenario { name = "needs a moisture line", tags = { "fault" },
  run = function(t) t:power_on(); t:wait(0.1); t:fault("moisture", 0.5); t:fail("must not get here") end }
LUA
"$BMSRIG" run --rig "$board" "$W/moist.lua" --tap >"$W/out" 2>"$W/err"
rc=$?
check "a fault the bench lacks is a skip (exit $rc)" test "$rc" -eq 0
check "skip reason names the fault" grep -q "# SKIP the bench (emulated) has no fault line for 'moisture'" "$W/out"

printf 'return board { name = "bad", ftdi = { serial = "X" }, dacs = { dac { name = "a", model = "nope", cs = "ADBUS3" } }, channels = {} }\n' >"$W/bad.lua"
"$BMSRIG" run --rig "$W/bad.lua" "$W/relay.lua" >"$W/out" 2>&1
rc=$?
check "bad bench description: exit 2 (got $rc)" test "$rc" -eq 2
check "bad description error has file:line" grep -q "bad.lua:1:" "$W/out"

BMSRIG_EMU_FAULTS=unplug_after_writes=8 "$BMSRIG" run --rig "$board" "$W/relay.lua" --json "$W/u.json" >"$W/out" 2>&1
rc=$?
check "bench unplugged mid-scenario: exit 3 (got $rc)" test "$rc" -eq 3
check "the scenario is a rig fault, not a controller failure" sh -c "jq -e '.scenarios[0].verdict == \"rig-fault\"' '$W/u.json' >/dev/null"

# SIGTERM in the middle of a bench scenario with a relay energised: exit 4, reports marked
# incomplete, every relay released and cell 1 back at its safe 0 V.
cat >"$W/long.lua" <<'LUA'
return scenario { name = "long bench run", tags = { "fault" },
  run = function(t) t:power_on(); t:fault("esc_tx", "open"); t:wait(60) end }
LUA
rm -f "$W/emu.log"
"$BMSRIG" run --rig "$board" "$W/long.lua" --json "$W/int.json" >"$W/out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "relay esc_tx 1" "$W/emu.log" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
done
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM during a bench scenario: exit 4 (got $rc)" test "$rc" -eq 4
check "its report is marked incomplete" sh -c "jq -e '.complete == false and .scenarios[0].verdict == \"not-run\"' '$W/int.json' >/dev/null"
check "the relay was released on the way out" test -z "$(relays_on "$W/emu.log")"
check "cell 1 back at its safe 0 V after SIGTERM" sh -c "awk '\$2 == \"dac\" && \$3 == \"cells_a\" && \$4 == \"0\" { v = \$6 } END { exit !(v == 0) }' '$W/emu.log'"

# SIGTERM while the bench is still being opened (the emulator stalls its first USB open): the
# handlers are in place before opening, so the run still ends through the normal exit path:
# exit 4, reports written and marked incomplete, the bench put in its safe state.
rm -f "$W/emu.log"
BMSRIG_EMU_FAULTS=open_stall_ms=1500 "$BMSRIG" -v run --rig "$board" "$W/relay.lua" \
    --json "$W/open.json" --junit "$W/open.xml" >"$W/out" 2>&1 &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "usb open stall" "$W/emu.log" 2>/dev/null; do
    sleep 0.05; i=$((i + 1))
done
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM while opening the bench: exit 4 (got $rc)" test "$rc" -eq 4
check "its JSON report is written and marked incomplete" sh -c "jq -e '.complete == false and .scenarios[0].verdict == \"not-run\"' '$W/open.json' >/dev/null"
check "its JUnit report is written" grep -q "not run: the run was interrupted" "$W/open.xml"
# -v logs "safe state reached" once when the bench is initialised and again on the way out.
check "the bench reached its safe state on the way out" test "$(grep -c "safe state reached" "$W/out")" -ge 2
check "no relay left energised" test -z "$(relays_on "$W/emu.log")"

finish
