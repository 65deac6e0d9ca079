#!/bin/sh
# test_esc_stall.sh BMSRIG PTY_BMS: `bmsrig esc` across an injected host stall (issue 14). The BMS
# peer stops the controller (SIGSTOP) at a status poll for 200 ms, across that poll's 105 ms reply
# check but not past the next poll (209.5 ms), and continues it (SIGCONT). A reply written to the
# line while the controller was stopped was there in time: no miss, one stall read reported. A
# reply held back until after the controller woke and saw the line empty truly came late: a miss.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
peer=$2
pids=""
at_exit() { for p in $pids; do kill -CONT "$p" 2>/dev/null; kill "$p" 2>/dev/null; done; }

# stall_run NAME PEER_OPTIONS...: the controller for 3 s against a peer that stalls it at the 5th
# status request (the 4th running poll); W/NAME.run the controller's output, W/NAME.peer the peer's.
stall_run() {
    name=$1; shift
    : >"$W/$name.pid"
    "$peer" --rt --stall-pid-file "$W/$name.pid" --stall-at 5 --stall-ms 200 "$@" \
        >"$W/$name.peer" &
    ppid_=$!
    pids="$pids $ppid_"
    i=0
    while [ ! -s "$W/$name.peer" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    "$BMSRIG" esc --bms-port "$(head -n 1 "$W/$name.peer")" --duration 3 --rt \
        >"$W/$name.run" 2>"$W/$name.err" &
    cpid=$!
    pids="$pids $cpid"
    echo "$cpid" >"$W/$name.pid"
    wait "$cpid"
    kill "$ppid_" 2>/dev/null
    wait "$ppid_" 2>/dev/null
    sed -n 's/^summary: //p' "$W/$name.run" | sed "s/^/# $name: /"
    tail -n 1 "$W/$name.peer" | sed "s/^/# $name peer: /"
}
field() { sed -n "s/^summary: .* $1=\([0-9.]*\).*/\1/p" "$2"; }

stall_run in_time
check "in time: the peer stopped the controller across a reply check" has 'stalled=1' "$W/in_time.peer"
check "in time: handshake done" has 'handshake=done' "$W/in_time.run"
check "in time: the reply waiting on the line after the stall is not a miss (misses=$(field misses "$W/in_time.run"))" \
    test "$(field misses "$W/in_time.run")" = 0
check "in time: the stall read is reported (stall_reads=$(field stall_reads "$W/in_time.run"))" \
    test "$(field stall_reads "$W/in_time.run")" -ge 1
check "in time: and warned about" has 'host stall: .* bytes found waiting on the bms_tx line' "$W/in_time.err"
# the back-dating is bounded by the stall: at most the 200 ms the controller was stopped, plus slack
bd=$(field backdated_max "$W/in_time.run")
check "in time: backdated_max ${bd} ms lies within the stall" \
    awk -v b="${bd:-0}" 'BEGIN { exit !(b > 0 && b <= 260) }'

stall_run late --stall-late
check "late: the peer stopped the controller across a reply check" has 'stalled=1' "$W/late.peer"
check "late: handshake done" has 'handshake=done' "$W/late.run"
check "late: a reply sent only after the controller woke counts as a miss (misses=$(field misses "$W/late.run"))" \
    test "$(field misses "$W/late.run")" -ge 1
finish
