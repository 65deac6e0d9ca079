#!/bin/sh
# test_rig_load_watchdog.sh BMSRIG: a rig description (or a scenario file) whose top-level code
# is stuck inside one C call (a string pattern that backtracks without end: no instruction
# budget stops it, and it ignored SIGTERM and SIGINT) is watched (issue 16, red team 1):
# `run --rig` gives up after --watchdog S or on a signal and still writes complete reports
# (every scenario not run, with the reason; complete: false), `selftest --rig` stops on a
# signal or after its --watchdog S. Every command runs under `timeout -s KILL`: a bmsrig without the watchdog fails here
# instead of hanging. No bench is opened: the description never finishes loading.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
bg=""
at_exit() { [ -n "$bg" ] && kill -KILL "$bg" 2>/dev/null; }
# interrupt SIG TAG CMD...: runs CMD in the background (output to $W/outTAG, $W/errTAG), sends it
# SIG after 1 s and waits; sets rc (its exit status) and el (ms from the signal to its exit)
interrupt() {
    sig=$1 tag=$2; shift 2
    "$@" >"$W/out$tag" 2>"$W/err$tag" &
    bg=$!
    sleep 1
    t0=$(now_ms)
    kill -"$sig" "$bg"
    wait "$bg"; rc=$?
    bg=""
    el=$(($(now_ms) - t0))
}

cat >"$W/bomb.lua" <<'LUA'
local _ = string.find(string.rep("a", 100000), string.rep("a*", 150) .. "b")
return board { name = "never" }
LUA
cat >"$W/s.lua" <<'LUA'
return scenario { name = "waits for the bench", run = function(t) t:wait(1) end }
LUA

# 1. the watchdog: exit 2 (a bad description) within a few seconds, reports written
expect_exit_within 2 8000 "run --rig with a stuck description, --watchdog 1: exit 2" \
    timeout -s KILL 30 "$BMSRIG" run --rig "$W/bomb.lua" --watchdog 1 --json "$W/r1.json" \
    --junit "$W/r1.xml" "$W/s.lua"
check "... the message names the description and the watchdog" \
    has "bomb.lua: watchdog: loading the rig description made no progress for 1 s" "$W/err"
check "... JSON written: the scenario not run, complete: false" \
    jqe '.complete == false and .scenarios[0].verdict == "not-run"' "$W/r1.json"
check "... JUnit written" has "waits for the bench" "$W/r1.xml"

# 2. SIGTERM while it loads (watchdog at its 60 s default): exit 4 at once, reports complete
interrupt TERM 2 timeout -s KILL 30 "$BMSRIG" run --rig "$W/bomb.lua" --json "$W/r2.json" "$W/s.lua"
check "run --rig: SIGTERM while the description loads: exit 4 (got $rc in $el ms)" \
    sh -c "[ $rc -eq 4 ] && [ $el -lt 3000 ]"
check "... JSON written with every scenario, complete: false" \
    jqe '.complete == false and (.scenarios | length) == 1 and .scenarios[0].verdict == "not-run"' \
    "$W/r2.json"
check "... saying it was interrupted while loading" has "interrupted while the rig description" "$W/r2.json"

# 3. selftest --rig: SIGTERM and SIGINT stop it
for sig in TERM INT; do
    interrupt "$sig" 3 timeout -s KILL 30 "$BMSRIG" selftest --rig "$W/bomb.lua"
    check "selftest --rig: SIG$sig while the description loads: exit 4 (got $rc in $el ms)" \
        sh -c "[ $rc -eq 4 ] && [ $el -lt 3000 ]"
done
check "... saying so" has "interrupted while the rig description was loading" "$W/err3"

# 3b. selftest --watchdog S (as run's): a stuck description given up after S, exit 2, the
# message names the file and the limit; without the option selftest waited its fixed 60 s
expect_exit_within 2 8000 "selftest --rig with a stuck description, --watchdog 1: exit 2" \
    timeout -s KILL 30 "$BMSRIG" selftest --rig "$W/bomb.lua" --watchdog 1
check "... the message names the description and the watchdog" \
    has "bomb.lua: watchdog: loading the rig description made no progress for 1 s" "$W/err"
expect_exit 2 "selftest --watchdog 0.05 (below 0.1 s): usage error" \
    "$BMSRIG" selftest --rig "$W/bomb.lua" --watchdog 0.05
check "... saying why" has "below 0.1 s" "$W/err"
expect_exit 2 "selftest --watchdog x: usage error" "$BMSRIG" selftest --rig "$W/bomb.lua" --watchdog x
check "selftest --help lists --watchdog" sh -c "'$BMSRIG' selftest --help | grep -q -- '--watchdog S'"

# 5. the same for a scenario file stuck while it loads: SIGTERM gives complete reports (the
# file and the ones after it not run), exit 4; it used to kill the run without any report
cat >"$W/sbomb.lua" <<'LUA'
local _ = string.find(string.rep("a", 100000), string.rep("a*", 150) .. "b")
return scenario { name = "never loads", run = function(t) end }
LUA
cp "$W/s.lua" "$W/s2.lua"
interrupt TERM 5 timeout -s KILL 30 "$BMSRIG" run --json "$W/r5.json" --junit "$W/r5.xml" \
    "$W/s.lua" "$W/sbomb.lua" "$W/s2.lua"
check "run: SIGTERM while a scenario file loads: exit 4 (got $rc in $el ms)" \
    sh -c "[ $rc -eq 4 ] && [ $el -lt 3000 ]"
check "... JSON lists all three, none run, complete: false" \
    jqe '.complete == false and (.scenarios | length) == 3 and ([.scenarios[].verdict] | all(. == "not-run"))' \
    "$W/r5.json"
check "... the stuck file and the one after it: interrupted while loading" \
    jqe '[.scenarios[] | select(.message | test("interrupted while the scenario files were loading"))] | length == 2' \
    "$W/r5.json"
check "... JUnit written" has "never loads\|sbomb" "$W/r5.xml"

# 4. a description that loads normally is not slowed down or changed (its own errors too)
printf 'return board { name = "x",\n  bogus = 1 }\n' >"$W/bad.lua"
expect_exit 2 "a broken description: exit 2 as before" \
    timeout -s KILL 30 "$BMSRIG" run --rig "$W/bad.lua" "$W/s.lua"
check "... with its file:line" has "bad.lua:1:" "$W/err"
finish
