#!/bin/sh
# test_run_dut.sh: `bmsrig run --rig` with a controller process as the device under test: the
# emulated bench (tests/data/emulated_pty.lua) names two pty lines, `bmsrig esc` attaches to
# them, our BMS model answers its polls through the link (with the protocol faults), and the
# scenario reads the controller's error word back over the dashboard line.
# usage: test_run_dut.sh BMSRIG EMU_DIR SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
EMU=$2
SRC=$3
run_pid=""
esc_pid=""
at_exit() {
    [ -n "$esc_pid" ] && kill "$esc_pid" 2>/dev/null
    [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null
}
export LD_LIBRARY_PATH="$EMU" BMSRIG_LOCK_DIR="$W" BMSRIG_EMU_LOG="$W/emu.log"
unset BMSRIG_EMU_FAULTS BMSRIG_EMU_CONFIG BMSRIG_EMU_VCD

cat >"$W/dut.lua" <<'LUA'
return scenario {
  name = "real controller over ptys: protocol faults of the fake BMS",
  tags = { "fault" },
  needs = { "real_controller" },
  run = function(t)
    t:fault("config_invalid")                         -- before the controller's handshake
    t:power_on()
    t:expect_error(22, { within = 20 })               -- attached, handshake done: read once
    t:clear("config_invalid")
    t:expect_error(22, { ["for"] = 1 })               -- kept until a power cycle
    t:fault("reply_delay", 0.15)
    local dt = t:expect_error(21, { within = 8 })
    t:measure("error21_after_s", dt, { min = 4.8, max = 5.8, unit = "s" })
    t:clear("reply_delay")
    t:expect_error(22, { within = 1 })                -- replies back: the kept 22 again
  end,
}
LUA
cat >"$W/virt.lua" <<'LUA'
return scenario { name = "needs the virtual controller", needs = { "virtual_controller" },
  run = function(t) t:fail("must be skipped") end }
LUA

"$BMSRIG" run --rig "$SRC/tests/data/emulated_pty.lua" --rt "$W/dut.lua" "$W/virt.lua" \
    --json "$W/r.json" --trace "$W/tr" >"$W/out" 2>"$W/err" &
run_pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q 'controller BMS line on' "$W/err" 2>/dev/null; do
    sleep 0.1; i=$((i + 1))
done
bms=$(sed -n 's/.*controller BMS line on \([^,]*\), dashboard line on \(.*\)$/\1/p' "$W/err")
dash=$(sed -n 's/.*controller BMS line on \([^,]*\), dashboard line on \(.*\)$/\2/p' "$W/err")
check "the run names the two pty lines ($bms, $dash)" test -n "$bms" -a -n "$dash"
# --rt: SCHED_FIFO where permitted (root in CI); see tests/cli/test_esc.sh for why.
"$BMSRIG" esc --bms-port "$bms" --dash-port "$dash" --duration 60 --rt >"$W/esc.out" 2>&1 &
esc_pid=$!
wait "$run_pid"
rc=$?
run_pid=""
kill "$esc_pid" 2>/dev/null
wait "$esc_pid" 2>/dev/null
esc_pid=""
cat "$W/out"
check "run exits 0 (got $rc)" test "$rc" -eq 0
check "the controller scenario passed" sh -c "jq -e '.scenarios[] | select(.name | test(\"ptys\")) | .verdict == \"pass\"' '$W/r.json' >/dev/null"
check "a virtual-controller scenario is skipped on a real one" sh -c "jq -e '.scenarios[] | select(.name | test(\"virtual\")) | .verdict == \"skip\" and (.message | test(\"virtual_controller\"))' '$W/r.json' >/dev/null"
check "the controller's firmware version, read over its dashboard line, is in the report" sh -c "jq -e '.dut.firmware_version == \"1.3.4\" and .dut.firmware_version_source == \"controller on the bench\"' '$W/r.json' >/dev/null"
check "the controller process itself showed error 22" grep -q "error 22" "$W/esc.out"
check "and error 21" grep -q "error 21" "$W/esc.out"
check "the bus log holds the controller's polls" sh -c "'$BMSRIG' decode '$W/tr/dut.bus.csv' | grep -q 'read 0x30'"

finish
