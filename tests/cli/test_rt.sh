#!/bin/sh
# test_rt.sh BMSRIG: `--rt` (issue 14) on `bmsrig bms`, `bmsrig esc` and `bmsrig bench bms`:
# where the host refuses SCHED_FIFO (RLIMIT_RTPRIO 0, and for root CAP_SYS_NICE dropped, since
# root ignores the rlimit) one warning line and the run goes on, --rt=strict exits 3; where it
# is permitted the kernel shows the process SCHED_FIFO at the asked priority, memory locked and
# pinned to the asked CPU.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
pids=""
at_exit() { for p in $pids; do kill "$p" 2>/dev/null; done; }

# refused PROGRAM ARGS...: runs it where SCHED_FIFO is refused.
if [ "$(id -u)" -eq 0 ]; then
    refused() { prlimit --rtprio=0 setpriv --bounding-set=-sys_nice --inh-caps=-sys_nice "$@"; }
else
    refused() { prlimit --rtprio=0 "$@"; }
fi
want='--rt: SCHED_FIFO priority 50 refused (Operation not permitted; RLIMIT_RTPRIO is 0'

# bms: warns once and runs
refused "$BMSRIG" bms --pty --duration 0.5 --rt >"$W/out" 2>"$W/err"; rc=$?
cat "$W/err"
check "bms --rt refused: exit 0" test $rc -eq 0
check "bms --rt refused: the warning names the refusal and RLIMIT_RTPRIO" \
    grep -qF "bmsrig bms: $want" "$W/err"
check "bms --rt refused: one warning line" test "$(grep -c 'refused' "$W/err")" -eq 1
check "bms --rt refused: says it runs on" grep -q 'running anyway$' "$W/err"
check "bms --rt refused: reports normal scheduling" grep -q -- '--rt: normal scheduling' "$W/err"
check "bms --rt refused: the BMS ran its ticks" grep -q '; [3-9][0-9] ticks)' "$W/err"
refused "$BMSRIG" bms --pty --duration 0.5 --rt=strict >"$W/out" 2>"$W/err"; rc=$?
check "bms --rt=strict refused: exit 3" test $rc -eq 3
check "bms --rt=strict refused: the error names the refusal" \
    grep -qF "bmsrig bms: --rt=strict: SCHED_FIFO priority 50 refused" "$W/err"
check "bms --rt=strict refused: nothing ran (no pty path)" test ! -s "$W/out"

# esc against a fake BMS, SCHED_FIFO refused: warns, handshakes, no miss
"$BMSRIG" bms --pty --duration 6 >"$W/bms.out" 2>/dev/null &
pids="$pids $!"
i=0
while ! grep -q '^/dev/' "$W/bms.out" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
pty=$(grep -m 1 '^/dev/' "$W/bms.out")
refused "$BMSRIG" esc --bms-port "$pty" --duration 2 --rt --rt-spin-us 50 >"$W/esc" 2>"$W/err"; rc=$?
cat "$W/err"; tail -n 1 "$W/esc"
check "esc --rt refused: exit 0" test $rc -eq 0
check "esc --rt refused: the warning" grep -qF "bmsrig esc: $want" "$W/err"
check "esc --rt refused: handshake done" grep -q 'handshake=done' "$W/esc"
refused "$BMSRIG" esc --bms-port "$pty" --duration 2 --rt=strict >"$W/esc" 2>"$W/err"; rc=$?
check "esc --rt=strict refused: exit 3" test $rc -eq 3
check "esc --rt=strict refused: did not run" test ! -s "$W/esc"

# bench bms: the JSON says what was granted
refused "$BMSRIG" bench bms --polls 200 --rt >"$W/json" 2>"$W/err"; rc=$?
cat "$W/json"
check "bench bms --rt refused: exit 0" test $rc -eq 0
check "bench bms --rt refused: JSON rt.fifo false with the reason" \
    grep -q '"rt":{"asked":true,"fifo":false,.*"refused":"SCHED_FIFO priority 50 refused' "$W/json"

# usage errors
"$BMSRIG" bms --pty --rt=maybe 2>"$W/err"; rc=$?
check "--rt=maybe: exit 2" test $rc -eq 2
"$BMSRIG" bms --pty --rt-priority 10 2>"$W/err"; rc=$?
check "--rt-priority without --rt: exit 2" test $rc -eq 2
"$BMSRIG" bms --pty --rt --rt-priority 100 2>"$W/err"; rc=$?
check "--rt-priority 100: exit 2" test $rc -eq 2

# Permitted (root in CI): the kernel's view of the running process.
if chrt -f 1 true 2>/dev/null; then
    "$BMSRIG" bms --pty --duration 3 --rt --rt-priority 20 --rt-cpu 0 >"$W/out" 2>"$W/err" &
    bpid=$!
    pids="$pids $bpid"
    i=0
    while [ ! -s "$W/out" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    chrt -p "$bpid" >"$W/policy" 2>&1
    sed 's/^/# /' "$W/policy"
    check "permitted: SCHED_FIFO" grep -q 'policy: SCHED_FIFO' "$W/policy"
    check "permitted: priority 20" grep -q 'priority: 20$' "$W/policy"
    locked=$(awk '/^VmLck:/ {print $2}' "/proc/$bpid/status")
    check "permitted: memory locked (VmLck $locked kB)" test "${locked:-0}" -gt 0
    cpus=$(awk '/^Cpus_allowed_list:/ {print $2}' "/proc/$bpid/status")
    check "permitted: pinned to CPU 0 ($cpus)" test "$cpus" = "0"
    wait "$bpid"; rc=$?
    cat "$W/err"
    check "permitted: exit 0" test $rc -eq 0
    check "permitted: no refusal" test "$(grep -c 'refused' "$W/err")" -eq 0
    check "permitted: reports what it got" \
        grep -q -- '--rt: SCHED_FIFO priority 20, memory locked, CPU 0, spin tail 100 us' "$W/err"
else
    echo "# skip: this host refuses SCHED_FIFO to this user (chrt -f 1 fails): the permitted case cannot run here"
fi
finish
