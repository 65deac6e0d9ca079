#!/bin/sh
# test_esc.sh BMSRIG PTY_BMS SRCDIR: `bmsrig esc` end to end: --show-params, profile errors, and real
# time on a pty against a canned-reply BMS (healthy: no miss, no error; silent: error 21).
set -u
bin=$1
peer=$2
srcdir=$3
fail=0
tmp=$(mktemp -d)
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
check() { desc=$1; shift; if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fail=1; fi; }

# --show-params: every row of the table, graded, with sources.
"$bin" esc --show-params >"$tmp/params"; rc=$?
check "--show-params exits 0" test $rc -eq 0
rows=$(awk 'NR>4' "$tmp/params" | wc -l)
check "--show-params lists the parameters ($rows rows)" test "$rows" -ge 50
bad=$(awk 'NR>4 && $4 !~ /^[SDIO]\*?$/' "$tmp/params" | wc -l)
check "every row has grade S, D, O or I" test "$bad" -eq 0
# where the recording and the emulator differ: both values, the emulator's graded O (issue 16)
check "tick_us 4988.79 (recorded, 209.5 ms polls) and tick_us:emulated 5000 (210.0 ms), O" \
    sh -c "grep -q '^tick_us  *4988.79 ' '$tmp/params' && grep -q '^tick_us:emulated  *5000  *us  *O ' '$tmp/params'"
check "first_req_ms 589 / first_req_ms:emulated 573" \
    sh -c "grep -q '^first_req_ms  *589 ' '$tmp/params' && grep -q '^first_req_ms:emulated  *573 .* O ' '$tmp/params'"
check "boot_tries 501 / boot_tries:emulated 500" \
    sh -c "grep -q '^boot_tries  *501 ' '$tmp/params' && grep -q '^boot_tries:emulated  *500 .* O ' '$tmp/params'"
"$bin" esc --show-params --figures emulated >"$tmp/params_emu"
check "--figures emulated: tick_us 5000 (O) in use, tick_us:recorded 4988.79 (D)" \
    sh -c "grep -q '^tick_us  *5000  *us  *O ' '$tmp/params_emu' && grep -q '^tick_us:recorded  *4988.79  *us  *D ' '$tmp/params_emu'"
printf 'figures = emulated\nboot_tries = 7\n' >"$tmp/fig.prof"
"$bin" esc --show-params --profile "$tmp/fig.prof" >"$tmp/params_prof"
check "a profile chooses with 'figures = emulated'; later names still win" \
    sh -c "grep -q '^first_req_ms  *573 ' '$tmp/params_prof' && grep -q '^boot_tries  *7  *requests  *O\*' '$tmp/params_prof'"
printf 'boot_tries = 7\nfigures = emulated\n' >"$tmp/fig2.prof"
"$bin" esc --show-params --profile "$tmp/fig2.prof" >/dev/null 2>"$tmp/fig2.err"
check "'figures' after a parameter name: exit 2 with file:line" \
    sh -c "grep -q 'fig2.prof:2:' '$tmp/fig2.err'"
"$bin" esc --show-params --figures nominal >/dev/null 2>&1
check "--figures nominal: exit 2" test $? -eq 2
grep -q '^miss_limit  *25  *polls  *D ' "$tmp/params"
check "miss_limit 25 [D]" test $? -eq 0
"$bin" esc --show-params --model pro2 | grep -q '^motor_rated_w  *300 '
check "--model pro2 changes the defaults" test $? -eq 0

# docs/controller.md carries every row of the table.
missing=0
for name in $(awk 'NR>4 {sub(/:.*/, "", $1); print $1}' "$tmp/params"); do
    grep -q "| \`$name\` |" "$srcdir/docs/controller.md" || { echo "# not in docs: $name"; missing=1; }
done
check "docs/controller.md lists every parameter" test $missing -eq 0

# Profiles: an override shows with '*'; a bad line is reported as file:line.
printf '# bench unit\nnormal_batt_a = 20\n' >"$tmp/ok.prof"
"$bin" esc --show-params --profile "$tmp/ok.prof" | grep -q '^normal_batt_a  *20  *A  *S\*'
check "profile override is shown and marked" test $? -eq 0
printf 'normal_batt_a = 20\nno_such_param = 3\n' >"$tmp/bad.prof"
"$bin" esc --show-params --profile "$tmp/bad.prof" 2>"$tmp/err"; rc=$?
check "bad profile exits 2" test $rc -eq 2
grep -q "bad.prof:2: unknown parameter 'no_such_param'" "$tmp/err"
check "bad profile names file:line" test $? -eq 0
"$bin" esc --show-params --profile "$tmp" >/dev/null 2>"$tmp/err"; rc=$?
check "unreadable profile (a directory) exits 2" test $rc -eq 2
grep -q "$tmp" "$tmp/err"
check "unreadable profile is named" test $? -eq 0
"$bin" esc --bms-port /nonexistent/tty --duration 1 2>/dev/null; rc=$?
check "missing serial device exits 3" test $rc -eq 3
"$bin" esc --model pro3 --show-params 2>/dev/null; rc=$?
check "bad --model exits 2" test $rc -eq 2
"$bin" esc 2>/dev/null; rc=$?
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

# Healthy BMS: handshake, polls, no miss, no error, in real time.
start_peer "$tmp/peer1" --duration 120
"$bin" esc --bms-port "$pty" --duration 7 --strict --log "$tmp/bus.csv" --rt >"$tmp/run1"; rc=$?
stop_peers "$peer_pid"
cat "$tmp/run1"
check "healthy BMS: --strict run passes" test $rc -eq 0
grep -q 'handshake=done' "$tmp/run1" && grep -q ' misses=0 ' "$tmp/run1" && grep -q ' error=0 ' "$tmp/run1"
check "healthy BMS: handshake done, no miss, error 0" test $? -eq 0
polls=$(sed -n 's/.* polls=\([0-9]*\) .*/\1/p' "$tmp/run1")
check "healthy BMS: about 30 polls in 7 s ($polls)" test "${polls:-0}" -ge 28 -a "${polls:-0}" -le 31
"$bin" decode "$tmp/bus.csv" >/dev/null; rc=$?
check "the bus log decodes" test $rc -eq 0
grep -c ',esc_tx,55aa032201300c9dff,ok' "$tmp/bus.csv" >/dev/null
check "the bus log holds the 0x30 polls" test $? -eq 0

# Against bmsrig's own fake BMS (`bmsrig bms --pty`, recorded reply-latency model).
"$bin" bms --pty --duration 120 --rt >"$tmp/bms.out" 2>"$tmp/bms.err" &
bms_pid=$!
pids="$pids $bms_pid"
i=0
while ! grep -q '^/dev/' "$tmp/bms.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
pty=$(grep -m 1 '^/dev/' "$tmp/bms.out")
"$bin" esc --bms-port "$pty" --duration 7 --strict --rt >"$tmp/run3"; rc=$?
cat "$tmp/run3"
check "against bmsrig bms --pty: --strict run passes (no miss, no error)" test $rc -eq 0
grep -q 'handshake=done' "$tmp/run3" && grep -q ' misses=0 ' "$tmp/run3"
check "against bmsrig bms --pty: handshake done, no miss" test $? -eq 0
# A bus log that cannot be written is an error, not a silent loss.
"$bin" esc --bms-port "$pty" --duration 0.5 --log /dev/full >/dev/null 2>"$tmp/full.err"; rc=$?
check "--log on a full device exits 3" test $rc -eq 3
grep -q -- "--log /dev/full" "$tmp/full.err"
check "--log write failure is reported with the option" test $? -eq 0
kill "$bms_pid" 2>/dev/null
wait "$bms_pid" 2>/dev/null

# Silent BMS: 15 ms boot retries, error 21 from ~3.6 s; --strict fails with exit 1. A
# dashboard on the dash line reads the code from word 0xB0 and from byte 11 of the 0x64 frame.
start_peer "$tmp/dash" --dash --duration 120
dash_pid=$peer_pid
dash_pty=$pty
start_peer "$tmp/peer2" --silent --duration 120
"$bin" esc --bms-port "$pty" --dash-port "$dash_pty" --duration 4.5 --strict --rt >"$tmp/run2"; rc=$?
stop_peers "$peer_pid" "$dash_pid"
cat "$tmp/run2"
check "silent BMS: --strict exits 1" test $rc -eq 1
t21=$(awk '$3=="error" && $4=="21" {print $1; exit}' "$tmp/run2")
check "silent BMS: error 21 from ~3.6 s ($t21)" awk -v t="${t21:-0}" 'BEGIN{exit !(t >= 3.0 && t <= 3.8)}'
cat "$tmp/dash"
grep -q 'reply_error=21 head_error=21' "$tmp/dash"
check "dashboard reads error 21 from word 0xB0 and from the 0x64 frame" test $? -eq 0
drep=$(sed -n 's/.* replies=\([0-9]*\) .*/\1/p' "$tmp/dash")
check "dashboard reads answered ($drep)" test "${drep:-0}" -ge 30
reqs=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$tmp/peer2")
check "silent BMS: ~15 ms boot retries ($reqs requests in 4.5 s)" test "${reqs:-0}" -ge 245 -a "${reqs:-0}" -le 265
exit $fail
