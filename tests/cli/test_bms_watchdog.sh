#!/bin/sh
# test_bms_watchdog.sh: `bmsrig bms --pty --scenario FILE --watchdog S`: a scenario stuck inside a
# C library call (a pathological string pattern, which the instruction budget cannot interrupt)
# is written off within the limit as failed, with the run's message naming its file, exit 1; a
# file stuck while loading fails the same way; SIGTERM on a stuck scenario is exit 4 within the
# 1 s grace, with or without the limit; a progressing scenario longer than the limit is left
# alone; bad values and --watchdog without --scenario are refused. No controller is attached:
# none of these scenarios needs one (--dut-wait 0: scenario time starts at once). Every run is under `timeout -s KILL`: a bmsrig without a
# working watchdog fails, not hangs.
# usage: test_bms_watchdog.sh BMSRIG
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
# bms WANT_RC MAX_MS DESCRIPTION -- args...: bmsrig bms --pty, killed after 20 s whatever happens
bms() {
    want=$1; max_ms=$2; desc=$3; shift 4
    expect_exit_within "$want" "$max_ms" "$desc" timeout -s KILL 20 "$BMSRIG" bms --pty "$@"
}

cat >"$W/stuck.lua" <<'LUA'
return scenario {
  name = "stuck in string.find",
  run = function(t)
    t:wait(0.3)
    string.find(string.rep("a", 100000), string.rep("a*", 150) .. "b")
  end,
}
LUA
cat >"$W/load.lua" <<'LUA'
string.find(string.rep("a", 100000), string.rep("a*", 150) .. "b")
return scenario { name = "never loads", run = function(t) end }
LUA
cat >"$W/slow.lua" <<'LUA'
return scenario { name = "longer than the limit", run = function(t) t:wait(1.5) end }
LUA

# 1. Stuck in its script: written off after 1 s without progress (at t = 0.3 s), exit 1.
bms 1 6000 "--watchdog 1: stuck scenario written off, exit 1" -- --dut-wait 0 --scenario "$W/stuck.lua" \
    --watchdog 1 --log "$W/bus.csv"
check "verdict line says fail" grep -q "^scenario stuck in string.find: fail after 0.3" "$W/out"
check "message names the file, the watchdog and the stuck call" \
    grep -q "stuck\.lua: watchdog: no progress for [0-9.]* s at t=0\.3[0-9]* s: the script is stuck inside one call .*pattern match.*(--watchdog 1)" "$W/out"
check "stderr says the stuck thread was left" grep -q "stuck thread left running; exiting without cleanup" "$W/err"
check "the bus log was flushed before leaving" grep -q "^t_s,line,frame_hex" "$W/bus.csv"

# 2. Stuck while loading.
bms 1 6000 "--watchdog 1: stuck loading written off, exit 1" -- --dut-wait 0 --scenario "$W/load.lua" --watchdog 1
check "message names the file and the loading" \
    grep -q "load\.lua: watchdog: loading made no progress for 1 s" "$W/out"

# 3. SIGTERM on a stuck scenario, watchdog off: not run, exit 4, within the 1 s grace.
timeout -s KILL 20 "$BMSRIG" bms --pty --dut-wait 0 --scenario "$W/stuck.lua" --watchdog 0 >"$W/out" 2>"$W/err" &
pid=$!
sleep 1.5
t0=$(now_ms)
kill -TERM $pid
wait $pid
rc=$?
el=$(($(now_ms) - t0))
check "SIGTERM while stuck (--watchdog 0): exit 4 (got $rc)" test "$rc" -eq 4
check "... within the grace (${el} ms)" test "$el" -le 4000
check "... reported not run while stuck" grep -q "not-run after .*" "$W/out"
check "... with the reason" grep -q "stuck\.lua: not run: interrupted while stuck" "$W/out"

# 4. A scenario that progresses is never written off, however long it runs.
bms 0 8000 "--watchdog 0.5 leaves a progressing 1.5 s scenario alone" -- \
    --dut-wait 0 --scenario "$W/slow.lua" --watchdog 0.5
check "it passed" grep -q "^scenario longer than the limit: pass" "$W/out"

# 5. Bad values.
bms 2 3000 "--watchdog 0.05 is refused" -- --dut-wait 0 --scenario "$W/slow.lua" --watchdog 0.05
check "... naming the option" grep -q -- "--watchdog" "$W/err"
bms 2 3000 "--watchdog abc is refused" -- --dut-wait 0 --scenario "$W/slow.lua" --watchdog abc
bms 2 3000 "--watchdog without --scenario is refused" -- --watchdog 5
check "... saying why" grep -q -- "--watchdog: only with --scenario" "$W/err"
"$BMSRIG" bms --help >"$W/help" 2>&1
check "bms --help documents --watchdog" grep -q -- "--watchdog S" "$W/help"

finish
