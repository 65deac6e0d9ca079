#!/bin/sh
# test_bms_pty.sh BMSRIG POLLER [POLLS]: `bmsrig bms --pty` and a poller in two processes over a
# real pty: every poll answered, SIGTERM closes cleanly (exit 4) with the log flushed, and the
# log decodes with `bmsrig decode` to exactly the frames exchanged.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
poller=$2
polls=${3:-10000}
pid=""
at_exit() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }

"$BMSRIG" bms --pty --latency off --wake 0 --log "$W/log.csv" >"$W/out" 2>"$W/err" &
pid=$!
i=0
while [ ! -s "$W/out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
pty=$(head -n 1 "$W/out")
check "bms --pty prints its pty path" test -c "$pty"

"$poller" "$pty" --polls "$polls"
check "$polls polls answered, none lost" test $? -eq 0

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=""
check "SIGTERM: clean stop with exit 4" test $rc -eq 4
cat "$W/err"
# the poller's warm-up polls and the counted ones: every request heard has one reply logged
esc=$(grep -c ',esc_tx,.*,ok,' "$W/log.csv")
bms=$(grep -c ',bms_tx,.*,ok,' "$W/log.csv")
check "log: $esc requests heard, $bms replies, at least $polls each" \
    sh -c "[ $esc -ge $polls ] && [ $esc -eq $bms ]"
summary=$("$BMSRIG" decode "$W/log.csv" | tail -n 1)
check "the log decodes: $summary" sh -c "printf '%s' \"\$1\" | grep -q \"^frames: $((esc + bms)) valid, 0 bad\"" _ "$summary"

# the pack model behind the BMS: a 40 A load trips discharge over-current after 1.28 s and the
# pack current stops; the registers show it. The status word shows the trip at once; the current
# register is the mean of the front end's last completed 250 ms window (profile sample_ms): it
# reads full current until the window holding the trip ends, then that window's partial mean,
# so "current gone" is checked on replies more than two windows (0.5 s) after the first reply
# showing the trip (a loaded host can delay the trip's wall time, hence 30 polls in 4 s)
"$BMSRIG" bms --pty --latency off --wake 0 --current 40 --duration 4 --log "$W/oc.csv" \
    >"$W/out2" 2>"$W/err2" &
pid=$!
i=0
while [ ! -s "$W/out2" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
"$poller" "$(head -n 1 "$W/out2")" --polls 30 --interval-ms 100 >/dev/null
check "polls answered while the pack is loaded" test $? -eq 0
wait "$pid"
rc=$?
pid=""
check "--duration ends with exit 0" test $rc -eq 0
"$BMSRIG" decode "$W/oc.csv" | grep bms_tx >"$W/oc.txt"
check "first replies: 40 A flowing, sagging pack" grep -q "current=+40.0[0-9]A voltage=3[0-9]" "$W/oc.txt"
last=$(tail -n 1 "$W/oc.txt")
check "last reply: discharge error set: $last" \
    sh -c "printf '%s' \"\$1\" | grep -q 'discharge_error'" _ "$last"
# replies later than two 0.25 s windows after the first one showing the trip: at least one, and
# every one reads no current
after=$(awk '/discharge_error/ && t0 == "" { t0 = $1 } t0 != "" && $1 > t0 + 0.5 { print }' \
    "$W/oc.txt")
check "replies a sample window after the trip exist" test -n "$after"
check "... and every one reads the current gone: $(printf "%s\n" "$after" | grep -v "discharge_error.*current=[-+]0.0[0-3]A" | head -n 2)" \
    sh -c "! printf '%s\n' \"\$1\" | grep -v 'discharge_error.*current=[-+]0.0[0-3]A'" _ "$after"

# bad options are usage errors naming the option
"$BMSRIG" bms --pty --soc 150 >/dev/null 2>"$W/e1"
check "--soc out of range exits 2" test $? -eq 2
check "... and names --soc" grep -q -- "--soc" "$W/e1"
"$BMSRIG" bms --pty --profile nosuch >/dev/null 2>"$W/e2"
check "unknown profile exits 2" test $? -eq 2
"$BMSRIG" bms --port /nonexistent/tty >/dev/null 2>"$W/e3"
check "missing device exits 3" test $? -eq 3
"$BMSRIG" bms --pty --fault warp_drive >/dev/null 2>"$W/e4"
check "unknown fault exits 2" test $? -eq 2
"$BMSRIG" bms --pty --cell nosuchcell >/dev/null 2>"$W/e6"
check "unknown cell set exits 2" test $? -eq 2
printf 'base m365_stock\ncell_ov_mv 4300\n' >"$W/p.txt"
"$BMSRIG" bms --pty --profile-file "$W/p.txt" >/dev/null 2>"$W/e5"
check "profile file without a grade exits 2" test $? -eq 2
check "... with file:line" grep -q "p.txt:2:" "$W/e5"
"$BMSRIG" bms --pty --profile-file "$W" --duration 0.2 >/dev/null 2>"$W/e7"
check "unreadable profile file (a directory) exits 2" test $? -eq 2
check "... and names it" grep -q -- "--profile-file $W" "$W/e7"
# SIGTERM right after the pty path is printed is still a clean stop (exit 4): the handlers
# are installed before the path goes out. Deterministic: stdout is a full pipe, so printing
# the path blocks until the signal arrives.
mkfifo "$W/full"
exec 3<>"$W/full"
head -c 65536 /dev/zero >&3
"$BMSRIG" bms --pty --duration 10 >&3 2>/dev/null &
pid=$!
sleep 0.5
kill -TERM "$pid"
exec 4<"$W/full"   # a reader that drains the pipe, so that later output cannot block
exec 3>&-
cat <&4 >/dev/null &
wait "$pid"; rc=$?
pid=""
exec 4<&-
check "SIGTERM while the pty path is being printed: exit 4 (got $rc)" test "$rc" -eq 4
finish
