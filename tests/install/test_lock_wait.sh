#!/bin/sh
# test_lock_wait.sh: --lock-wait with two processes on one emulated bench. A `bmsrig run --rig`
# holds the bench for about 6 s of real time; meanwhile a second process (`bmsrig selftest`):
# without --lock-wait fails at once (exit 3), with --lock-wait 0.5 fails after waiting, is
# interrupted by SIGINT while waiting (exit 4), and with --lock-wait 30 waits, says so, and
# gets the bench once the first run ends. Then `bmsrig run --lock-wait` waits for a run the
# same way. A bad value, or --lock-wait without a bench, is exit 2.
# usage: test_lock_wait.sh BMSRIG EMU_DIR
set -u
BMSRIG=$1
EMU=$2
W=$(mktemp -d)
holder=
trap '[ -n "$holder" ] && kill "$holder" 2>/dev/null; rm -rf "$W"' EXIT
export LD_LIBRARY_PATH="$EMU" BMSRIG_LOCK_DIR="$W" BMSRIG_EMU_LOG="$W/emu.log"
unset BMSRIG_EMU_FAULTS BMSRIG_EMU_CONFIG BMSRIG_EMU_VCD
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}
now() { date +%s.%N; }

cat >"$W/hold.lua" <<'LUA'
return scenario { name = "holds the bench", run = function(t) t:power_on(); t:wait(6) end }
LUA
"$BMSRIG" run -q --rig emulated "$W/hold.lua" >"$W/holder.out" 2>&1 &
holder=$!
lock="$W/bmsrig-ftdi-BMSEMU01.lock"
i=0
while [ "$(cat "$lock" 2>/dev/null)" != "$holder" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "the first run holds the bench lock (pid $holder in $lock)" test "$(cat "$lock" 2>/dev/null)" = "$holder"

"$BMSRIG" selftest --rig emulated >"$W/a.out" 2>&1
rc=$?
check "no --lock-wait: a busy bench fails at once (exit $rc)" test "$rc" -eq 3
check "  naming the holder's pid" grep -q "in use by another run.*held by pid $holder" "$W/a.out"

t0=$(now)
"$BMSRIG" selftest --rig emulated --lock-wait 0.5 >"$W/b.out" 2>&1
rc=$?
dt=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
check "--lock-wait 0.5 on a bench held longer fails (exit $rc)" test "$rc" -eq 3
check "  after waiting about 0.5 s (took $dt s)" awk -v d="$dt" 'BEGIN { exit !(d >= 0.45 && d < 3) }'
check "  saying it waited" grep -q "still in use by another run after waiting" "$W/b.out"
check "  with a progress line while waiting" grep -q "is in use (lock .* held by pid $holder): waiting up to" "$W/b.out"

"$BMSRIG" selftest --rig emulated --lock-wait 30 >"$W/d.out" 2>&1 &
waiter=$!
sleep 0.5
kill -INT "$waiter"
wait "$waiter"
rc=$?
check "SIGINT while waiting ends the wait (exit $rc)" test "$rc" -eq 4
check "  saying so" grep -q "interrupted while waiting for bench BMSEMU01" "$W/d.out"

t0=$(now)
"$BMSRIG" selftest --rig emulated --lock-wait 30 >"$W/c.out" 2>"$W/c.err"
rc=$?
dt=$(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }')
check "--lock-wait 30 waits for the first run and then passes the selftest (exit $rc)" test "$rc" -eq 0
check "  it really waited (took $dt s)" awk -v d="$dt" 'BEGIN { exit !(d > 1) }'
check "  and said when it got the bench" grep -q "is free: took the lock after" "$W/c.err"
wait "$holder"
rc=$?
holder=
check "the first run ended normally (exit $rc)" test "$rc" -eq 0
check "the waiting selftest ran after the first run: its checks are in the log" grep -q "^ok " "$W/c.out"

# The same with `bmsrig run --lock-wait` as the waiting process: a run holds the bench for 3 s,
# a second run waits for it, then runs its scenario on the bench.
cat >"$W/short.lua" <<'LUA'
return scenario { name = "holds the bench briefly", run = function(t) t:power_on(); t:wait(3) end }
LUA
"$BMSRIG" run -q --rig emulated "$W/short.lua" >"$W/holder2.out" 2>&1 &
holder=$!
i=0
while [ "$(cat "$lock" 2>/dev/null)" != "$holder" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
"$BMSRIG" run -q --rig emulated "$W/short.lua" >"$W/r0.out" 2>&1
rc=$?
check "run without --lock-wait on the busy bench: exit 3" test "$rc" -eq 3
"$BMSRIG" run -q --rig emulated --lock-wait 30 --json "$W/r.json" "$W/short.lua" >"$W/r.out" 2>&1
rc=$?
check "run --lock-wait 30 waits, then passes on the bench (exit $rc)" test "$rc" -eq 0
check "  its report says it ran on the rig" sh -c "jq -e '.target == \"rig\" and .counts.pass == 1' '$W/r.json' >/dev/null"
check "  it said it waited" grep -q "is in use (lock .* held by pid $holder): waiting up to 30 s" "$W/r.out"
wait "$holder"
holder=
"$BMSRIG" run --lock-wait 5 "$W/short.lua" >"$W/r2.out" 2>&1
rc=$?
check "run --lock-wait without --rig is bad input (exit $rc)" test "$rc" -eq 2

"$BMSRIG" selftest --rig emulated --lock-wait -1 >"$W/e.out" 2>&1
rc=$?
check "--lock-wait -1 is bad input (exit $rc)" test "$rc" -eq 2

if [ "$fails" -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "all lock-wait checks passed"
