#!/bin/sh
# test_engine_waits.sh BMSRIG SRCDIR: the engine-evaluated waits of the built-in expectations
# (rig/scenario/condition.c) stop on the very tick the script's own tick-by-tick test stops:
# tests/engine/waits.lua run as it is and with TICK_BY_TICK = true gives byte-identical signal
# and bus traces, events (every expectation's time, outcome and message) and log lines.
set -u
. "$(dirname "$0")/../cli/lib.sh"
lib_init "$1"
src=$2/tests/engine/waits.lua

mkdir "$W/fast" "$W/ticks"
cp "$src" "$W/fast/waits.lua"
sed 's/^local TICK_BY_TICK = false$/local TICK_BY_TICK = true/' "$src" >"$W/ticks/waits.lua"
check "the tick-by-tick copy differs in its switch only" \
    sh -c "test \$(diff '$W/fast/waits.lua' '$W/ticks/waits.lua' | grep -c '^[<>]') -eq 2"

# Run from each folder so that file:line in messages reads the same ("waits.lua:NN").
(cd "$W/fast" && "$BMSRIG" run --seed 3 --trace tr --json r.json waits.lua >out 2>&1)
rc_fast=$?
(cd "$W/ticks" && "$BMSRIG" run --seed 3 --trace tr --json r.json waits.lua >out 2>&1)
rc_ticks=$?
# waits.lua records failing expectations on purpose: the scenario fails (exit 1) both ways.
check "both runs end with the verdict fail (exit 1: $rc_fast, $rc_ticks)" \
    test "$rc_fast" -eq 1 -a "$rc_ticks" -eq 1
check "signal traces are byte-identical" \
    cmp "$W/fast/tr/waits.signals.csv" "$W/ticks/tr/waits.signals.csv"
check "bus traces are byte-identical" cmp "$W/fast/tr/waits.bus.csv" "$W/ticks/tr/waits.bus.csv"
check "events (expectations, times, messages, log) are byte-identical" \
    cmp "$W/fast/tr/waits.events.tsv" "$W/ticks/tr/waits.events.tsv"
n=$(grep -c '	log	' "$W/fast/tr/waits.events.tsv")
check "every try left a log line ($n of 32)" test "$n" -eq 32
for want in "speed >= 500 within 0.7 (fails).*still false after 0.700 s" \
            "too early).*became true after 0.000 s, earlier than 1.000 s" \
            "fails mid-hold).*held [1-9][0-9.]* s of 30.000 s" \
            "polls).*a byte at [0-9.]* s after the start, later than 0.000 s" \
            "powered on within 1 (fails).*still false after 1.000 s" \
            "moving for 30 after stop (fails mid-hold).*still moving: held [1-9][0-9.]* s of 30.000 s" \
            "never within 0.5 (fails).*never: still false after 0.500 s" \
            "after 1 (fails: too early).*early: became true after 0.000 s" \
            "raises mid-wait (caught).*waits.lua:[0-9]*: raised at [0-9.]*"; do
    check "failure message: $want" grep -q "$want" "$W/fast/tr/waits.events.tsv"
done
check "the passing waits returned (error 21 within 8 s: ok)" \
    grep -q "error 21 within 8 ok [0-9]" "$W/fast/tr/waits.events.tsv"
# A script predicate is called once per tick: 0.75 s of 1 ms ticks and the first test, 751 calls.
check "the predicate ran once per tick (751 calls)" grep -q "predicate calls 751$" "$W/fast/tr/waits.events.tsv"
# The point of it: the engine-evaluated run resumed the script far less often.
fast_i=$(jq '.scenarios[0].lua_instructions' "$W/fast/r.json" 2>/dev/null)
tick_i=$(jq '.scenarios[0].lua_instructions' "$W/ticks/r.json" 2>/dev/null)
check "fewer Lua instructions when the engine evaluates the waits ($fast_i < $tick_i / 4)" \
    test "${fast_i:-0}" -gt 0 -a "$((${fast_i:-0} * 4))" -lt "${tick_i:-0}"
finish
