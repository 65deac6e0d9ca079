#!/bin/sh
# test_bms_fault.sh BMSRIG POLLER: `bmsrig bms --fault NAME=on|off` over a real pty, seen on the
# wire by a poller in another process: bms_tx=on (and the bare alias bms_tx_open) silences the
# BMS, config_invalid=on serves status bit 0 clear (ESC error 22), and a later =off restores
# each; unknown names and bad values are usage errors with the nearest name; bms --help and
# run --help list every fault of the table.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
poller=$2
pid=""
at_exit() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; }

# serve TAG FAULT_OPTIONS...: a fake BMS on a new pty with those --fault options, in the
# background; its pty path in $pty.
serve() {
    tag=$1; shift
    "$BMSRIG" bms --pty --latency off --wake 0 --duration 30 --log "$W/$tag.csv" "$@" \
        >"$W/$tag.out" 2>"$W/$tag.err" &
    pid=$!
    i=0
    while [ ! -s "$W/$tag.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    pty=$(head -n 1 "$W/$tag.out")
}
# stop: SIGTERM, a clean stop is exit 4.
stop() {
    kill -TERM "$pid"
    wait "$pid"
    rc=$?
    pid=""
    check "$tag: the fake BMS stops cleanly (exit 4, got $rc)" test $rc -eq 4
}

# --- bms_tx: on = nothing reaches the controller; off restores the replies ---
for spelling in "bms_tx=on" "bms_tx_open"; do
    serve "silent_$spelling" --fault "$spelling"
    "$poller" "$pty" --no-wait --polls 4 >"$W/p.txt"
    summary=$(cat "$W/p.txt")
    check "--fault $spelling: 4 polls, none answered, no byte on the wire ($summary)" \
        grep -q "polls 4 answered 0 lost 4 .* bytes_in 0$" "$W/p.txt"
    stop
    check "--fault $spelling: the BMS still answered internally (log: bms_tx_open)" \
        grep -q ',bms_tx,.*,bms_tx_open,' "$W/silent_$spelling.csv"
done
serve restored --fault bms_tx=on --fault bms_tx=off
"$poller" "$pty" --polls 4 >"$W/p.txt"
check "--fault bms_tx=on --fault bms_tx=off: every poll answered ($(cat "$W/p.txt"))" \
    grep -q "polls 4 answered 4 lost 0 " "$W/p.txt"
stop

# --- config_invalid: status word 0x30 bit 0 (config valid) served clear; off restores it ---
# decoded_status FILE: the status fields of the 0x30 replies the poller received
decoded_status() { "$BMSRIG" decode "$1" | grep -o 'read-reply 0x30 status=[^ ]*'; }
serve invalid --fault config_invalid=on
"$poller" "$pty" --polls 3 --dump "$W/invalid.hex" >/dev/null
check "--fault config_invalid=on: polls answered" test $? -eq 0
stop
decoded_status "$W/invalid.hex" >"$W/invalid.st"
check "config_invalid=on: replies on the wire ($(head -n 1 "$W/invalid.st"))" test -s "$W/invalid.st"
check "config_invalid=on: no reply has bit 0 (config_valid) set" \
    sh -c "! grep -q 'config_valid' '$W/invalid.st'"
serve valid --fault config_invalid=on --fault config_invalid=off
"$poller" "$pty" --polls 3 --dump "$W/valid.hex" >/dev/null
stop
decoded_status "$W/valid.hex" >"$W/valid.st"
check "config_invalid=off: every reply has config_valid again ($(head -n 1 "$W/valid.st"))" \
    sh -c "[ -s '$W/valid.st' ] && ! grep -v -q 'config_valid' '$W/valid.st'"

# --- bad names and values: exit 2 before any pty, naming the fault ---
"$BMSRIG" bms --pty --fault bms_xt=on >/dev/null 2>"$W/e1"
check "unknown fault exits 2" test $? -eq 2
check "... suggesting the nearest name" grep -q "unknown fault 'bms_xt'; did you mean 'bms_tx'?" "$W/e1"
"$BMSRIG" bms --pty --fault bms_tx=maybe >/dev/null 2>"$W/e2"
check "bms_tx=maybe exits 2 naming the value" \
    sh -c "[ $? -eq 2 ] && grep -q \"fault 'bms_tx': expected on or off, got 'maybe'\" '$W/e2'"
"$BMSRIG" bms --pty --fault reply_delay=-1 >/dev/null 2>"$W/e3"
check "reply_delay=-1 exits 2 naming the range" \
    sh -c "[ $? -eq 2 ] && grep -q 'is not seconds 0..3600' '$W/e3'"
# --help lists the table's faults with the values the parser takes
"$BMSRIG" bms --help >"$W/help"
check "bms --help lists bms_tx=on|off and config_invalid=on|off" \
    sh -c "grep -q '^  bms_tx=on|off ' '$W/help' && grep -q '^  config_invalid=on|off ' '$W/help'"
# `bmsrig faults`: a list line per fault, one fault in full by an alias, unknown names exit 2
"$BMSRIG" faults >"$W/list"
check "faults lists $(wc -l <"$W/list") faults, bms_tx with its alias" \
    sh -c "[ \$(wc -l <'$W/list') -eq \$('$BMSRIG' faults --markdown | grep -c '^| \`') ] &&
           grep -q '^bms_tx .*(also bms_tx_open)' '$W/list'"
"$BMSRIG" faults series_r >"$W/one"
check "faults series_r shows esc_resistor in full" \
    sh -c "grep -q '^name: *esc_resistor' '$W/one' && grep -q '^bench: *bank' '$W/one'"
"$BMSRIG" faults confg_invalid >/dev/null 2>"$W/e4"
check "faults confg_invalid exits 2 suggesting config_invalid" \
    sh -c "[ $? -eq 2 ] && grep -q \"did you mean 'config_invalid'\" '$W/e4'"
# ... and the --help of every command that takes faults lists every fault of the table
"$BMSRIG" run --help >"$W/run_help"
for name in $("$BMSRIG" faults --list | awk '{ print $1 }'); do
    check "bms --help and run --help list $name" \
        sh -c "grep -q '^  $name=' '$W/help' && grep -q '^    $name=' '$W/run_help'"
done
finish
