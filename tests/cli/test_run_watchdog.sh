#!/bin/sh
# test_run_watchdog.sh: `bmsrig run --watchdog`: a scenario stuck inside a C library call (a
# pathological string pattern, which the instruction budget cannot interrupt) is written off
# within the limit as failed, with a message naming its file; the other scenarios of the run
# (-j 2 and -j 1) keep or get their results; JUnit (junit-10.xsd), JSON and TAP stay complete
# and valid; exit 1. Also: a file stuck while loading, SIGTERM on a stuck run (exit 4), a
# progressing real-time scenario longer than the limit is left alone, more stuck scenarios than
# the run replaces (exit 4), a stuck scenario on the emulated bench (safe state, the rest not
# run, exit 4), --watchdog 0, bad values.
# Every run is under `timeout -s KILL`: a bmsrig without a working watchdog fails, not hangs.
# usage: test_run_watchdog.sh BMSRIG SOURCE_DIR EMU_DIR
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC=$2
EMU=$3
# run WANT_RC MAX_MS DESCRIPTION -- args...: bmsrig run, killed after 30 s whatever happens
run() {
    want=$1; max_ms=$2; desc=$3; shift 4
    expect_exit_within "$want" "$max_ms" "$desc" timeout -s KILL 30 "$BMSRIG" run "$@"
}

mkdir -p "$W/s" "$W/one"
# The known defect: backtracking over 150 'a*' items on 100000 'a's never ends in practice,
# and no Lua instruction runs meanwhile, so the count hook never fires.
cat >"$W/s/stuck.lua" <<'LUA'
return scenario {
  name = "stuck in string.find",
  run = function(t)
    t:wait(0.5)
    string.find(string.rep("a", 100000), string.rep("a*", 150) .. "b")
  end,
}
LUA
cat >"$W/s/stuck_gsub.lua" <<'LUA'
return scenario {
  name = "stuck in string.gsub",
  run = function(t)
    t:wait(0.25)
    string.gsub(string.rep("x", 50000), "(x-)(x-)(x-)(x-)(x-)(x-)y", "")
  end,
}
LUA
cat >"$W/s/pass_a.lua" <<'LUA'
return scenario { name = "passes A", run = function(t) t:wait(2); t:log("A done") end }
LUA
cat >"$W/s/pass_b.lua" <<'LUA'
return scenario { name = "passes B", run = function(t) t:wait(3) end }
LUA
cat >"$W/s/fails.lua" <<'LUA'
return scenario { name = "fails on its own",
  run = function(t) t:expect("never true", function() return false end, { within = 0.5 }) end }
LUA

# 1. -j 2, two stuck scenarios among three healthy ones.
run 1 10000 "-j 2 --watchdog 2: stuck scenarios written off, exit 1" -- -j 2 --watchdog 2 \
    --junit "$W/j.xml" --json "$W/r.json" --tap "$W/s"
check "JUnit validates against junit-10.xsd" xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/j.xml"
check "JSON: complete, 5 scenarios, 2 passed, 3 failed" jqe '.complete == true and .counts.total == 5 and .counts.pass == 2 and .counts.fail == 3 and .counts.not_run == 0' "$W/r.json"
check "JSON: the stuck find is a fail naming its file and the watchdog" jqe '.scenarios[] | select(.name == "stuck in string.find") | .verdict == "fail" and (.message | test("stuck\\.lua: watchdog: no progress for [0-9]+\\.[0-9] s at t=0\\.500 s")) and (.message | test("pattern match"))' "$W/r.json"
check "JSON: the stuck gsub too" jqe '.scenarios[] | select(.name == "stuck in string.gsub") | .verdict == "fail" and (.message | test("stuck_gsub\\.lua: watchdog"))' "$W/r.json"
check "JSON: the healthy scenarios kept their results" jqe '([.scenarios[] | select(.name | test("passes")) | .verdict == "pass" and .sim_time_s >= 2] | length == 2 and all) and (.scenarios[] | select(.name == "passes A") | .log[0].text == "A done")' "$W/r.json"
check "JSON: the failing one fails for its own reason" jqe '.scenarios[] | select(.name == "fails on its own") | .verdict == "fail" and (.message | test("never true"))' "$W/r.json"
check "JUnit: the stuck scenario is a failure naming the file" has '<failure type="fail" message="[^"]*stuck.lua: watchdog: no progress' "$W/j.xml"
check "TAP: plan 1..5" has '^1\.\.5$' "$W/out"
check "TAP: five results" [ "$(grep -c '^\(not \)\?ok [1-5] - ' "$W/out")" -eq 5 ]
check "TAP: the stuck scenario is not ok" has '^not ok [0-9] - stuck in string.find$' "$W/out"
check "progress names the stuck file" has 'stuck.lua: watchdog: no progress' "$W/err"
check "says a stuck thread was left behind" has '2 stuck threads left running' "$W/err"

# 2. -j 1: the stuck scenario comes first, a replacement worker runs the rest.
cp "$W/s/stuck.lua" "$W/one/a_stuck.lua"
cp "$W/s/pass_a.lua" "$W/one/b_pass.lua"
cp "$W/s/fails.lua" "$W/one/c_fails.lua"
run 1 8000 "-j 1 --watchdog 0.5: the scenarios after the stuck one still run" -- -j 1 \
    --watchdog 0.5 --json "$W/r1.json" "$W/one"
check "JSON: stuck fail, then pass, then fail; complete" jqe '.complete == true and ([.scenarios[].verdict] == ["fail", "pass", "fail"]) and (.scenarios[0].message | test("a_stuck\\.lua: watchdog"))' "$W/r1.json"

# 3. Stuck while loading (top-level code): written off, the other file runs.
cat >"$W/load_stuck.lua" <<'LUA'
local _ = string.find(string.rep("a", 100000), string.rep("a*", 150) .. "b")
return scenario { name = "never declared", run = function(t) end }
LUA
run 1 8000 "--watchdog 0.5: a file stuck while loading is written off" -- --watchdog 0.5 \
    --junit "$W/jl.xml" --json "$W/rl.json" "$W/load_stuck.lua" "$W/s/pass_a.lua"
check "JSON: the stuck file fails naming itself; the other passes" jqe '.complete == true and (.scenarios[] | select(.file | test("load_stuck")) | .verdict == "fail" and (.message | test("load_stuck\\.lua: watchdog: loading made no progress"))) and (.scenarios[] | select(.name == "passes A") | .verdict == "pass")' "$W/rl.json"
check "JUnit with the stuck file validates" xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/jl.xml"

# 4. --watchdog 0: nothing is written off; SIGTERM then ends the run (exit 4) without waiting
# for the stuck thread, with the reports written and marked incomplete.
t0=$(now_ms)
timeout -s KILL 30 "$BMSRIG" run -j 2 --watchdog 0 --json "$W/r0.json" "$W/s/stuck.lua" \
    "$W/s/pass_a.lua" >"$W/out" 2>"$W/err" &
pid=$!
sleep 1
check "--watchdog 0: still running after 1 s" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
got=$?
el=$(($(now_ms) - t0))
check "SIGTERM on a stuck run: exit 4 within 6 s (exit $got in $el ms)" [ "$got" -eq 4 -a "$el" -le 6000 ]
check "JSON: incomplete, stuck one not run, the other passed" jqe '.complete == false and (.scenarios[] | select(.name == "stuck in string.find") | .verdict == "not-run" and (.message | test("stuck\\.lua: not run: interrupted while stuck"))) and (.scenarios[] | select(.name == "passes A") | .verdict == "pass")' "$W/r0.json"

# 5. A real-time scenario that runs longer than the limit but progresses every tick passes.
cat >"$W/slow.lua" <<'LUA'
return scenario { name = "slow but alive", run = function(t) t:wait(0.8) end }
LUA
run 0 8000 "--realtime 0.8 s scenario under --watchdog 0.3 passes" -- --realtime \
    --watchdog 0.3 "$W/slow.lua"

# 6. Five stuck scenarios in a row with -j 1: four are replaced, the fifth is not, and what
# nobody is left to run is reported not run (exit 4), the reports complete and valid.
mkdir -p "$W/five"
for k in 1 2 3 4 5; do cp "$W/s/stuck.lua" "$W/five/s$k.lua"; done
cp "$W/s/pass_a.lua" "$W/five/z_pass.lua"
run 4 8000 "five stuck scenarios: the rest is not run" -- -j 1 --watchdog 0.2 \
    --junit "$W/j5.xml" --json "$W/r5.json" --tap "$W/five"
check "JSON: 5 stuck fails, the last not run with the reason, incomplete" jqe '.complete == false and .counts.fail == 5 and (.scenarios[5] | .verdict == "not-run" and (.message | test("5 scenarios were stuck")))' "$W/r5.json"
check "JUnit of the stopped run validates" xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/j5.xml"
check "says 5 stuck threads were left behind" has '5 stuck threads left running' "$W/err"
check "TAP ends with the stop's reason, not 'interrupted'" sh -c "tail -n 1 '$W/out' | grep -q '^# run incomplete: 5 scenarios were stuck'"
check "JSON carries the same reason" jqe '.incomplete_reason | test("5 scenarios were stuck")' "$W/r5.json"

# 7. On the emulated bench (real time): the stuck scenario still holds the bench, so the next
# one is not run (exit 4); the bench was put in its safe state (cell DACs back to 0 V).
mkdir -p "$W/lock"
export LD_LIBRARY_PATH="$EMU" BMSRIG_LOCK_DIR="$W/lock" BMSRIG_EMU_LOG="$W/emu.log"
unset BMSRIG_EMU_FAULTS BMSRIG_EMU_CONFIG BMSRIG_EMU_VCD
run 4 8000 "on the bench: stuck, then the rest not run" -- --rig "$SRC/hw/boards/emulated.lua" \
    --watchdog 0.5 --json "$W/rb.json" "$W/s/stuck.lua" "$W/s/pass_a.lua"
unset LD_LIBRARY_PATH BMSRIG_LOCK_DIR BMSRIG_EMU_LOG
check "JSON: stuck fail naming the file, the next not run (bench held)" jqe '.complete == false and .scenarios[0].verdict == "fail" and (.scenarios[0].message | test("stuck\\.lua: watchdog")) and .scenarios[1].verdict == "not-run" and (.scenarios[1].message | test("stuck on the bench"))' "$W/rb.json"
check "the cell DAC was driven during the run" sh -c 'grep "dac cells_a 0 " "$1" | grep -qv " 0x0000 "' _ "$W/emu.log"
check "... and left at its safe 0 V" sh -c 'grep "dac cells_a 0 " "$1" | tail -n 1 | grep -q " 0x0000 "' _ "$W/emu.log"

# 7b. A long path (four 200-byte directories): the message keeps its end (the limit), for a
# stuck scenario and for a file stuck while loading.
long="$W/$(printf 'd%.0s' $(seq 200))"
long="$long/$(basename "$long")/$(basename "$long")/$(basename "$long")"
mkdir -p "$long"
cp "$W/s/stuck.lua" "$long/x_stuck.lua"
cp "$W/load_stuck.lua" "$long/y_load.lua"
run 1 8000 "long paths: stuck and stuck while loading" -- --watchdog 0.2 --json "$W/rlong.json" \
    "$long/x_stuck.lua" "$long/y_load.lua"
check "JSON: both messages end with the limit" jqe '[.scenarios[].message | test("\\(--watchdog 0\\.2\\)$")] == [true, true]' "$W/rlong.json"

# 8. Bad values name the option; help documents it.
run 2 5000 "--watchdog -1 is refused" -- --watchdog -1 "$W/slow.lua"
check "... naming the option" has "--watchdog: " "$W/err"
run 2 5000 "--watchdog abc is refused" -- --watchdog abc "$W/slow.lua"
run 2 5000 "--watchdog 0.05 (below 0.1 s) is refused" -- --watchdog 0.05 "$W/slow.lua"
run 2 5000 "--watchdog shorter than 10 real-time ticks is refused" -- --realtime \
    --tick-ms 100 --watchdog 0.5 "$W/slow.lua"
check "... saying why" has "shorter than 10 real-time ticks" "$W/err"
"$BMSRIG" run --help >"$W/help" 2>&1
check "run --help documents --watchdog and its default" has "--watchdog S .*(default 60; 0 = off)" "$W/help"
check "run --help: exit 4 also when stuck scenarios left the rest unstarted (case 6)" \
    has "4 interrupted or stopped early" "$W/help"

finish
