#!/bin/sh
# test_bms_fault.sh BMSRIG POLLER: `bmsrig bms --fault NAME=on|off` over a real pty, seen on the
# wire by a poller in another process: bms_tx=on (and the bare alias bms_tx_open) silences the
# BMS, config_invalid=on serves status bit 0 clear (ESC error 22), and a later =off restores
# each; unknown names and bad values are usage errors with the nearest name; bms --help and
# run --help list every fault of the table.
set -u
bin=$1
poller=$2
tmp=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
fail=0
check() { desc=$1; shift; if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fail=1; fi; }

# serve TAG FAULT_OPTIONS...: a fake BMS on a new pty with those --fault options, in the
# background; its pty path in $pty.
serve() {
    tag=$1; shift
    "$bin" bms --pty --latency off --wake 0 --duration 30 --log "$tmp/$tag.csv" "$@" \
        >"$tmp/$tag.out" 2>"$tmp/$tag.err" &
    pid=$!
    i=0
    while [ ! -s "$tmp/$tag.out" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    pty=$(head -n 1 "$tmp/$tag.out")
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
    "$poller" "$pty" --no-wait --polls 4 >"$tmp/p.txt"
    summary=$(cat "$tmp/p.txt")
    check "--fault $spelling: 4 polls, none answered, no byte on the wire ($summary)" \
        grep -q "polls 4 answered 0 lost 4 .* bytes_in 0$" "$tmp/p.txt"
    stop
    check "--fault $spelling: the BMS still answered internally (log: bms_tx_open)" \
        grep -q ',bms_tx,.*,bms_tx_open,' "$tmp/silent_$spelling.csv"
done
serve restored --fault bms_tx=on --fault bms_tx=off
"$poller" "$pty" --polls 4 >"$tmp/p.txt"
check "--fault bms_tx=on --fault bms_tx=off: every poll answered ($(cat "$tmp/p.txt"))" \
    grep -q "polls 4 answered 4 lost 0 " "$tmp/p.txt"
stop

# --- config_invalid: status word 0x30 bit 0 (config valid) served clear; off restores it ---
# decoded_status FILE: the status fields of the 0x30 replies the poller received
decoded_status() { "$bin" decode "$1" | grep -o 'read-reply 0x30 status=[^ ]*'; }
serve invalid --fault config_invalid=on
"$poller" "$pty" --polls 3 --dump "$tmp/invalid.hex" >/dev/null
check "--fault config_invalid=on: polls answered" test $? -eq 0
stop
decoded_status "$tmp/invalid.hex" >"$tmp/invalid.st"
check "config_invalid=on: replies on the wire ($(head -n 1 "$tmp/invalid.st"))" test -s "$tmp/invalid.st"
check "config_invalid=on: no reply has bit 0 (config_valid) set" \
    sh -c "! grep -q 'config_valid' '$tmp/invalid.st'"
serve valid --fault config_invalid=on --fault config_invalid=off
"$poller" "$pty" --polls 3 --dump "$tmp/valid.hex" >/dev/null
stop
decoded_status "$tmp/valid.hex" >"$tmp/valid.st"
check "config_invalid=off: every reply has config_valid again ($(head -n 1 "$tmp/valid.st"))" \
    sh -c "[ -s '$tmp/valid.st' ] && ! grep -v -q 'config_valid' '$tmp/valid.st'"

# --- bad names and values: exit 2 before any pty, naming the fault ---
"$bin" bms --pty --fault bms_xt=on >/dev/null 2>"$tmp/e1"
check "unknown fault exits 2" test $? -eq 2
check "... suggesting the nearest name" grep -q "unknown fault 'bms_xt'; did you mean 'bms_tx'?" "$tmp/e1"
"$bin" bms --pty --fault bms_tx=maybe >/dev/null 2>"$tmp/e2"
check "bms_tx=maybe exits 2 naming the value" \
    sh -c "[ $? -eq 2 ] && grep -q \"fault 'bms_tx': expected on or off, got 'maybe'\" '$tmp/e2'"
"$bin" bms --pty --fault reply_delay=-1 >/dev/null 2>"$tmp/e3"
check "reply_delay=-1 exits 2 naming the range" \
    sh -c "[ $? -eq 2 ] && grep -q 'is not seconds 0..3600' '$tmp/e3'"
# --help lists the table's faults with the values the parser takes
"$bin" bms --help >"$tmp/help"
check "bms --help lists bms_tx=on|off and config_invalid=on|off" \
    sh -c "grep -q '^  bms_tx=on|off ' '$tmp/help' && grep -q '^  config_invalid=on|off ' '$tmp/help'"
# `bmsrig faults`: a list line per fault, one fault in full by an alias, unknown names exit 2
"$bin" faults >"$tmp/list"
check "faults lists $(wc -l <"$tmp/list") faults, bms_tx with its alias" \
    sh -c "[ \$(wc -l <'$tmp/list') -eq \$('$bin' faults --markdown | grep -c '^| \`') ] &&
           grep -q '^bms_tx .*(also bms_tx_open)' '$tmp/list'"
"$bin" faults series_r >"$tmp/one"
check "faults series_r shows esc_resistor in full" \
    sh -c "grep -q '^name: *esc_resistor' '$tmp/one' && grep -q '^bench: *bank' '$tmp/one'"
"$bin" faults confg_invalid >/dev/null 2>"$tmp/e4"
check "faults confg_invalid exits 2 suggesting config_invalid" \
    sh -c "[ $? -eq 2 ] && grep -q \"did you mean 'config_invalid'\" '$tmp/e4'"
# ... and the --help of every command that takes faults lists every fault of the table
"$bin" run --help >"$tmp/run_help"
for name in $("$bin" faults --list | awk '{ print $1 }'); do
    check "bms --help and run --help list $name" \
        sh -c "grep -q '^  $name=' '$tmp/help' && grep -q '^    $name=' '$tmp/run_help'"
done
exit $fail
