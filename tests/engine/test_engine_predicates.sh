#!/bin/sh
# test_engine_predicates.sh BMSRIG SRCDIR: script predicates the engine calls after each tick
# (E.wait_until, rig/scenario/l_engine.c) fail as a tick-by-tick test fails: an error inside one
# keeps its message, line and traceback (pred_error.lua, also run with a t:every hook, the
# tick-by-tick way); a predicate that waits is refused with a clear error (pred_wait.lua); the
# instruction budget still stops a predicate that spins while it waits (pred_budget.lua).
set -u
. "$(dirname "$0")/../cli/lib.sh"
lib_init "$1"
src=$2/tests/engine

# Run from the folder so that file:line in messages reads "pred_*.lua:NN".
run() {   # run DIR FILE: bmsrig run there, the exit code in DIR/rc
    (cd "$1" && "$BMSRIG" run --seed 3 --trace tr --json r.json "$2" >out 2>&1; echo $? >rc)
}
for f in pred_error pred_wait; do
    mkdir -p "$W/fast" "$W/ticks"
    cp "$src/$f.lua" "$W/fast/$f.lua"
    sed 's/^local TICK_BY_TICK = false$/local TICK_BY_TICK = true/' "$src/$f.lua" >"$W/ticks/$f.lua"
    check "$f: the tick-by-tick copy differs in its switch only" \
        sh -c "test \$(diff '$W/fast/$f.lua' '$W/ticks/$f.lua' | grep -c '^[<>]') -eq 2"
    run "$W/fast" "$f.lua"
    mv "$W/fast/r.json" "$W/fast/$f.json"
    mv "$W/fast/rc" "$W/fast/$f.rc"
    run "$W/ticks" "$f.lua"
    mv "$W/ticks/r.json" "$W/ticks/$f.json"
    mv "$W/ticks/rc" "$W/ticks/$f.rc"
    check "$f: both runs end in a script error (exit 2: $(cat "$W/fast/$f.rc"), $(cat "$W/ticks/$f.rc"))" \
        test "$(cat "$W/fast/$f.rc")" -eq 2 -a "$(cat "$W/ticks/$f.rc")" -eq 2
    check "$f: the same verdict, message, time and log both ways" \
        test "$(jq -c '.scenarios[0] | [.verdict, .message, .sim_time_s, .log]' "$W/fast/$f.json")" \
        = "$(jq -c '.scenarios[0] | [.verdict, .message, .sim_time_s, .log]' "$W/ticks/$f.json")"
done

# The message of the tick-by-tick test before E.wait_until (main's prelude printed exactly this):
# the raise's line, the helper and the predicate's lines, the run function; 1502 calls = the
# first test and one per tick up to t = 1.501 s.
want='pred_error.lua:5: boom after 1502 calls
stack traceback:
	[C]: in function '"'error'"'
	pred_error.lua:5: in upvalue '"'boom'"'
	pred_error.lua:16: in upvalue '"'pred'"'
	pred_error.lua:14: in field '"'run'"''
check "pred_error: the message names the raise and the predicate's frames" \
    test "$(jq -r '.scenarios[0].message' "$W/fast/pred_error.json")" = "$want"
check "pred_error: stopped at t = 1.501 s" jqe '.scenarios[0].sim_time_s == 1.501' "$W/fast/pred_error.json"

check "pred_wait: a plain check inside a predicate passes" \
    jqe '.scenarios[0].log[0].text == "plain check passed at 0.201"' "$W/fast/pred_wait.json"
check "pred_wait: t:wait inside a predicate is refused at its line" \
    jqe '.scenarios[0].message | startswith("pred_wait.lua:14: wait: cannot make time pass here: a predicate")' \
    "$W/fast/pred_wait.json"
check "pred_wait: refused on the first tick it tried (t = 0.501 s)" \
    jqe '.scenarios[0].sim_time_s == 0.501' "$W/fast/pred_wait.json"

mkdir "$W/budget"
cp "$src/pred_budget.lua" "$W/budget/"
run "$W/budget" pred_budget.lua
check "pred_budget: a script error (exit 2: $(cat "$W/budget/rc"))" test "$(cat "$W/budget/rc")" -eq 2
check "pred_budget: the budget is exceeded, and raised again at the line after the pcall" \
    jqe '.scenarios[0].message | startswith("pred_budget.lua:14: instruction budget of 200000000 Lua instructions exceeded")' \
    "$W/budget/r.json"
check "pred_budget: the script did not go on after catching it (no log line)" \
    jqe '.scenarios[0].log | length == 0' "$W/budget/r.json"
check "pred_budget: stopped mid-wait (1 s < t < 100 s)" \
    jqe '.scenarios[0].sim_time_s > 1 and .scenarios[0].sim_time_s < 100' "$W/budget/r.json"
check "pred_budget: the count reached the budget" \
    jqe '.scenarios[0].lua_instructions >= 200000000' "$W/budget/r.json"
finish
