#!/bin/sh
# test_bms_gap.sh BMSRIG POLLER: `bmsrig bms --pty` behind a writer that delivers every poll in
# random chunks, as a USB-serial adapter or pty bridge does (issue 16). Pauses inside a frame
# shorter than --gap-reset still decode; longer ones reset the receiver. Also: --gap-reset
# range, the same with --scenario (the scenario-driven fake BMS), and the on/off spelling of
# the switch faults.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
poller=$2
pid=""
at_exit() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }

# start_bms OUT ERR ARGS...: a fake BMS on a new pty; sets $pid and $pty
start_bms() {
    out=$1; err=$2; shift 2
    "$BMSRIG" bms --pty --latency off --wake 0 "$@" >"$out" 2>"$err" &
    pid=$!
    i=0
    while [ ! -s "$out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    pty=$(head -n 1 "$out")
}
stop_bms() { kill -TERM "$pid"; wait "$pid"; pid=""; }

# 1. pauses of 0-5 ms inside every frame, reset at 4000 characters (347 ms, far above what a
# loaded host adds to a 5 ms sleep: 150 ms seen at load 18 on 2 cores): all answered
start_bms "$W/o1" "$W/e1" --gap-reset 4000
"$poller" "$pty" --polls 200 --split-gap-us 0:5000 >"$W/p1"
rc=$?
stop_bms
cat "$W/p1" "$W/e1"
check "split polls with pauses below --gap-reset 4000: all 200 answered" test $rc -eq 0
longest=$(sed -n 's/.*longest_split_pause_us \([0-9]*\).*/\1/p' "$W/p1")
check "... the longest pause ($longest us) stayed below the reset (347222 us)" \
    test "${longest:-99999999}" -lt 347222
check "... and no gap reset" grep -q "(0 decode errors, 0 gap resets)" "$W/e1"

# 2. pauses of 60-100 ms at 10 characters (868 us): every split poll is dropped as truncated.
# The pauses are long enough that no scheduling delay of the reader can hide them (a reader
# descheduled for longer than a pause reads the frame in one chunk: 20-40 ms pauses were
# hidden twice in 30 at load 18 on 2 cores).
start_bms "$W/o2" "$W/e2" --gap-reset 10
"$poller" "$pty" --polls 15 --split-gap-us 60000:100000 --timeout-ms 100 >"$W/p2"
stop_bms
cat "$W/p2" "$W/e2"
check "pauses above --gap-reset 10: none of 15 answered" grep -q "polls 15 answered 0 " "$W/p2"
resets=$(sed -n 's/.* \([0-9]*\) gap resets.*/\1/p' "$W/e2")
check "... the receiver reset at least 15 times (got ${resets:-none})" test "${resets:-0}" -ge 15

# 3. bad values
"$BMSRIG" bms --pty --gap-reset 1 --duration 0.1 >/dev/null 2>"$W/e3"
check "--gap-reset 1 (below 1.5) exits 2" test $? -eq 2
check "... naming --gap-reset" grep -q -- "--gap-reset" "$W/e3"
printf 'return scenario { name = "x", run = function(t) end }\n' >"$W/s.lua"
"$BMSRIG" bms --pty --scenario "$W/s.lua" --gap-reset 1 >/dev/null 2>"$W/e4"
check "--gap-reset 1 with --scenario exits 2 too" test $? -eq 2
check "... naming --gap-reset" grep -q -- "--gap-reset" "$W/e4"

# 3b. a scenario-driven fake BMS (bms --scenario) takes --gap-reset too: the same split polls
# answered at 4000 characters, dropped at 10 (the engine's link was built with the default)
cat >"$W/wait.lua" <<'LUA'
return scenario { name = "the line only", run = function(t) t:wait(60) end }
LUA
start_scn() {   # start_scn OUT ERR CHARS: as start_bms, with --scenario
    "$BMSRIG" bms --pty --scenario "$W/wait.lua" --watchdog 0 --gap-reset "$3" >"$1" 2>"$2" &
    pid=$!
    i=0
    while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    pty=$(head -n 1 "$1")
}
start_scn "$W/o8" "$W/e8" 4000
"$poller" "$pty" --polls 100 --split-gap-us 0:5000 >"$W/p8"
rc=$?
stop_bms
cat "$W/p8"
check "bms --scenario --gap-reset 4000: all 100 split polls answered" test $rc -eq 0
start_scn "$W/o9" "$W/e9" 10
"$poller" "$pty" --polls 15 --split-gap-us 60000:100000 --timeout-ms 100 >"$W/p9"
stop_bms
cat "$W/p9"
check "bms --scenario --gap-reset 10: none of 15 split polls answered" \
    grep -q "polls 15 answered 0 " "$W/p9"

# 4. switch faults: =on and =off both work (help says on/off); a poll written by hand
poll() { printf '\125\252\003\042\001\060\014\235\377' >"$pty"; sleep 0.2; }
start_bms "$W/o5" "$W/e5" --fault bms_tx=on --log "$W/l5.csv"
poll
stop_bms
check "--fault bms_tx=on: the reply is cut (logged bms_tx_open)" grep -q ",bms_tx,.*bms_tx_open" "$W/l5.csv"
start_bms "$W/o6" "$W/e6" --fault bms_tx=on --fault bms_tx=off --fault stale=off \
    --log "$W/l6.csv"
poll
stop_bms
check "--fault bms_tx=off clears it: the reply goes out" grep -q ",bms_tx,.*,ok," "$W/l6.csv"
"$BMSRIG" bms --pty --fault stale=maybe --duration 0.1 >/dev/null 2>"$W/e7"
check "--fault stale=maybe exits 2" test $? -eq 2
check "... saying on or off" grep -q "expected on or off" "$W/e7"
finish
