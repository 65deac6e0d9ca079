#!/bin/sh
# test_esc.sh BMSRIG PTY_BMS SRCDIR: `bmsrig esc` end to end: --show-params, profile errors, and real
# time on a pty against a canned-reply BMS (healthy: no miss, no error; silent: error 21).
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
peer=$2
srcdir=$3
pids=""
at_exit() { for p in $pids; do kill "$p" 2>/dev/null; done; }

# --show-params: every row of the table, graded, with sources.
"$BMSRIG" esc --show-params >"$W/params"; rc=$?
check "--show-params exits 0" test $rc -eq 0
rows=$(awk 'NR>4' "$W/params" | wc -l)
check "--show-params lists the parameters ($rows rows)" test "$rows" -ge 50
bad=$(awk 'NR>4 && $4 !~ /^[SDIO]\*?$/' "$W/params" | wc -l)
check "every row has grade S, D, O or I" test "$bad" -eq 0
# where the recording and the emulator differ: both values, the emulator's graded O (issue 16)
check "tick_us 4988.79 (recorded, 209.5 ms polls) and tick_us:emulated 5000 (210.0 ms), O" \
    sh -c "grep -q '^tick_us  *4988.79 ' '$W/params' && grep -q '^tick_us:emulated  *5000  *us  *O ' '$W/params'"
check "first_req_ms 589 / first_req_ms:emulated 573" \
    sh -c "grep -q '^first_req_ms  *589 ' '$W/params' && grep -q '^first_req_ms:emulated  *573 .* O ' '$W/params'"
check "boot_tries 501 / boot_tries:emulated 500" \
    sh -c "grep -q '^boot_tries  *501 ' '$W/params' && grep -q '^boot_tries:emulated  *500 .* O ' '$W/params'"
"$BMSRIG" esc --show-params --figures emulated >"$W/params_emu"
check "--figures emulated: tick_us 5000 (O) in use, tick_us:recorded 4988.79 (D)" \
    sh -c "grep -q '^tick_us  *5000  *us  *O ' '$W/params_emu' && grep -q '^tick_us:recorded  *4988.79  *us  *D ' '$W/params_emu'"
printf 'figures = emulated\nboot_tries = 7\n' >"$W/fig.prof"
"$BMSRIG" esc --show-params --profile "$W/fig.prof" >"$W/params_prof"
check "a profile chooses with 'figures = emulated'; later names still win" \
    sh -c "grep -q '^first_req_ms  *573 ' '$W/params_prof' && grep -q '^boot_tries  *7  *requests  *O\*' '$W/params_prof'"
printf 'boot_tries = 7\nfigures = emulated\n' >"$W/fig2.prof"
"$BMSRIG" esc --show-params --profile "$W/fig2.prof" >/dev/null 2>"$W/fig2.err"
check "'figures' after a parameter name: exit 2 with file:line" \
    sh -c "grep -q 'fig2.prof:2:' '$W/fig2.err'"
"$BMSRIG" esc --show-params --figures nominal >/dev/null 2>&1
check "--figures nominal: exit 2" test $? -eq 2
grep -q '^miss_limit  *25  *polls  *D ' "$W/params"
check "miss_limit 25 [D]" test $? -eq 0
"$BMSRIG" esc --show-params --model pro2 | grep -q '^motor_rated_w  *300 '
check "--model pro2 changes the defaults" test $? -eq 0

# docs/controller.md carries every row of the table.
missing=0
for name in $(awk 'NR>4 {sub(/:.*/, "", $1); print $1}' "$W/params"); do
    grep -q "| \`$name\` |" "$srcdir/docs/controller.md" || { echo "# not in docs: $name"; missing=1; }
done
check "docs/controller.md lists every parameter" test $missing -eq 0

# Profiles: an override shows with '*'; a bad line is reported as file:line.
printf '# bench unit\nnormal_batt_a = 20\n' >"$W/ok.prof"
"$BMSRIG" esc --show-params --profile "$W/ok.prof" | grep -q '^normal_batt_a  *20  *A  *S\*'
check "profile override is shown and marked" test $? -eq 0
printf 'normal_batt_a = 20\nno_such_param = 3\n' >"$W/bad.prof"
"$BMSRIG" esc --show-params --profile "$W/bad.prof" 2>"$W/err"; rc=$?
check "bad profile exits 2" test $rc -eq 2
grep -q "bad.prof:2: unknown parameter 'no_such_param'" "$W/err"
check "bad profile names file:line" test $? -eq 0
"$BMSRIG" esc --show-params --profile "$W" >/dev/null 2>"$W/err"; rc=$?
check "unreadable profile (a directory) exits 2" test $rc -eq 2
grep -q "$W" "$W/err"
check "unreadable profile is named" test $? -eq 0
"$BMSRIG" esc --bms-port /nonexistent/tty --duration 1 2>/dev/null; rc=$?
check "missing serial device exits 3" test $rc -eq 3
"$BMSRIG" esc --model pro3 --show-params 2>/dev/null; rc=$?
check "bad --model exits 2" test $rc -eq 2
"$BMSRIG" esc 2>/dev/null; rc=$?
check "no --bms-port exits 2" test $rc -eq 2

# Start a pty BMS peer in the background (not in a subshell, so that we can wait for it);
# its first stdout line is the pty path. Peers run until stopped (SIGTERM: they print their
# counts and exit) once the controller run is over: a fixed peer duration raced the
# controller's start on a loaded host (the peer ended first and the controller's line hung up).
stop_peers() { kill "$@" 2>/dev/null; wait "$@" 2>/dev/null; }
# The real-time runs use --rt (SCHED_FIFO where permitted: CI runs as root; elsewhere a warning
# and the run goes on). Without it a loaded host stalled the processes by 50-200 ms, more than
# the controller's 105 ms reply window leaves the line (observed: misses=1..3 and error 21 lost
# with six busy loops beside the test), which no test timeout can fix.
start_peer() {
    out=$1; shift
    "$peer" "$@" --rt >"$out" &
    peer_pid=$!
    pids="$pids $peer_pid"
    i=0
    while [ ! -s "$out" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    pty=$(head -n 1 "$out")
}

# Host stalls (issue 14). Even under SCHED_FIFO a shared VM can stop the processes for longer
# than the protocol leaves: the controller checks for the reply 105 ms after each poll
# (protocol.md), and after a stall its loop ticks the model past that check before it reads the
# reply that was waiting (esc_rx runs the missed ticks first); 50-215 ms stalls were seen with
# six busy loops beside the test. So a miss is excused only by a stall a clock saw: every
# process reports its overruns (count, worst, total lateness), and a clock whose worst overrun
# reached STALL_MS saw at most min(count, 1 + (total - worst) / STALL_MS) stalls that long.
# excused_misses RUN PEER_OUT: those stalls of the controller (its summary line in RUN) and of
# the BMS (PEER_OUT: esc_pty_bms's "overruns=N worst_ms=X total_ms=Y" or bmsrig bms's
# "N tick overruns (worst X ms, Y ms in total").
STALL_MS=50
excused_misses() {
    esc_st=$(sed -n 's/.* late_max=\([0-9.]*\) ms overruns=\([0-9]*\) late_total=\([0-9.]*\) ms.*/\1 \2 \3/p' "$1")
    bms_st=$(sed -n -e 's/.* overruns=\([0-9]*\) worst_ms=\([0-9.]*\) total_ms=\([0-9.]*\).*/\2 \1 \3/p' \
                    -e 's/.* \([0-9]*\) tick overruns (worst \([0-9.]*\) ms, \([0-9.]*\) ms in total.*/\2 \1 \3/p' "$2" |
             head -n 1)
    echo "# host stalls: controller ${esc_st:-none}, BMS ${bms_st:-none} (worst ms, count, total ms)" >&2
    echo "${esc_st:-0 0 0}" "${bms_st:-0 0 0}" | awk -v s=$STALL_MS '
        function n(w, c, t) { if (w + 0 < s) return 0; k = 1 + int((t - w) / s); return k < c ? k : c }
        { print n($1, $2, $3) + n($4, $5, $6) }'
}
# check_no_unexcused_miss WHAT RC RUN PEER_OUT: the --strict run passed (rc 0), or failed
# (rc 1) only because of misses that host stalls excuse; handshake done and error 0 either way.
check_no_unexcused_miss() {
    what=$1 rc=$2 run=$3
    excused=$(excused_misses "$run" "$4")
    misses=$(sed -n 's/.* misses=\([0-9]*\) .*/\1/p' "$run")
    [ "${misses:-0}" -gt 0 ] && echo "# $what: $misses miss(es), $excused excused by host stalls >= $STALL_MS ms"
    check "$what: handshake done, error 0" \
        sh -c "grep -q 'handshake=done' '$run' && grep -q ' error=0 ' '$run'"
    check "$what: no miss beyond the host stalls >= $STALL_MS ms the clocks saw (${misses:-?} <= $excused)" \
        test "${misses:-1}" -le "$excused"
    check "$what: --strict passes, or fails only for excused misses (rc $rc)" \
        sh -c "test $rc -eq 0 || test $rc -eq 1 -a ${misses:-0} -gt 0 -a ${misses:-1} -le $excused"
}

# Healthy BMS: handshake, polls, no miss, no error, in real time.
start_peer "$W/peer1" --duration 120
"$BMSRIG" esc --bms-port "$pty" --duration 7 --strict --log "$W/bus.csv" --rt >"$W/run1"; rc=$?
stop_peers "$peer_pid"
cat "$W/run1" "$W/peer1"
check_no_unexcused_miss "healthy BMS" $rc "$W/run1" "$W/peer1"
polls=$(sed -n 's/.* polls=\([0-9]*\) .*/\1/p' "$W/run1")
check "healthy BMS: about 30 polls in 7 s ($polls)" test "${polls:-0}" -ge 28 -a "${polls:-0}" -le 31
"$BMSRIG" decode "$W/bus.csv" >/dev/null; rc=$?
check "the bus log decodes" test $rc -eq 0
grep -c ',esc_tx,55aa032201300c9dff,ok' "$W/bus.csv" >/dev/null
check "the bus log holds the 0x30 polls" test $? -eq 0

# Against bmsrig's own fake BMS (`bmsrig bms --pty`, recorded reply-latency model).
"$BMSRIG" bms --pty --duration 120 --rt >"$W/bms.out" 2>"$W/bms.err" &
bms_pid=$!
pids="$pids $bms_pid"
i=0
while ! grep -q '^/dev/' "$W/bms.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pty=$(grep -m 1 '^/dev/' "$W/bms.out")
"$BMSRIG" esc --bms-port "$pty" --duration 7 --strict --rt >"$W/run3"; rc=$?
cat "$W/run3"
kill "$bms_pid" 2>/dev/null   # it prints its overruns on SIGTERM
wait "$bms_pid" 2>/dev/null
cat "$W/bms.out" "$W/bms.err" >"$W/bms.all"
check_no_unexcused_miss "against bmsrig bms --pty" $rc "$W/run3" "$W/bms.all"
"$BMSRIG" bms --pty --duration 120 --rt >"$W/bms.out" 2>"$W/bms.err" &
bms_pid=$!
pids="$pids $bms_pid"
i=0
while ! grep -q '^/dev/' "$W/bms.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pty=$(grep -m 1 '^/dev/' "$W/bms.out")
# A bus log that cannot be written is an error, not a silent loss.
"$BMSRIG" esc --bms-port "$pty" --duration 0.5 --log /dev/full >/dev/null 2>"$W/full.err"; rc=$?
check "--log on a full device exits 3" test $rc -eq 3
grep -q -- "--log /dev/full" "$W/full.err"
check "--log write failure is reported with the option" test $? -eq 0
kill "$bms_pid" 2>/dev/null
wait "$bms_pid" 2>/dev/null

# Silent BMS: 15 ms boot retries, error 21 from ~3.6 s; --strict fails with exit 1. A
# dashboard on the dash line reads the code from word 0xB0 and from byte 11 of the 0x64 frame.
start_peer "$W/dash" --dash --duration 120
dash_pid=$peer_pid
dash_pty=$pty
start_peer "$W/peer2" --silent --duration 120
"$BMSRIG" esc --bms-port "$pty" --dash-port "$dash_pty" --duration 4.5 --strict --rt >"$W/run2"; rc=$?
stop_peers "$peer_pid" "$dash_pid"
cat "$W/run2"
check "silent BMS: --strict exits 1" test $rc -eq 1
t21=$(awk '$3=="error" && $4=="21" {print $1; exit}' "$W/run2")
check "silent BMS: error 21 from ~3.6 s ($t21)" awk -v t="${t21:-0}" 'BEGIN{exit !(t >= 3.0 && t <= 3.8)}'
cat "$W/dash"
grep -q 'reply_error=21 head_error=21' "$W/dash"
check "dashboard reads error 21 from word 0xB0 and from the 0x64 frame" test $? -eq 0
drep=$(sed -n 's/.* replies=\([0-9]*\) .*/\1/p' "$W/dash")
check "dashboard reads answered ($drep)" test "${drep:-0}" -ge 30
reqs=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$W/peer2")
check "silent BMS: ~15 ms boot retries ($reqs requests in 4.5 s)" test "${reqs:-0}" -ge 245 -a "${reqs:-0}" -le 265
finish
