#!/bin/sh
# test_esc_firmware.sh BMSRIG IMAGE: `bmsrig esc --firmware IMAGE` in real time on a pty: a bad
# image exits 2 naming it, a bad option combination exits 2; with `bmsrig bms` answering on the
# pty the image completes the handshake and shows no error; with nobody on the pty it shows
# error 21 (the silent-BMS rule) and the summary counts no byte in. IMAGE is our own controller
# firmware (build/hw/esc-fw/bmsrig-esc.bin); the test skips (77) when it was not built.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
image=$2
if [ ! -s "$image" ]; then
    skip "$image not built (arm-none-eabi-gcc missing)"
fi
pids=""
at_exit() { for p in $pids; do kill "$p" 2>/dev/null; done; }
# pty_of FILE: waits for the first line (the pty path) of a background process's stdout
pty_of() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
    head -n 1 "$1"
}

"$BMSRIG" esc --firmware "$W/none.bin" --bms-pty --duration 1 >/dev/null 2>"$W/err"
rc=$?
check "missing image: exit 2 (got $rc)" test $rc -eq 2
check "missing image: named" grep -qF "$W/none.bin" "$W/err"
"$BMSRIG" esc --firmware "$image" --duration 1 >/dev/null 2>&1
check "--firmware without --bms-port or --bms-pty: exit 2" test $? -eq 2
"$BMSRIG" esc --firmware "$image" --bms-pty --profile x --duration 1 >/dev/null 2>&1
check "--firmware with --profile: exit 2" test $? -eq 2
"$BMSRIG" esc --bms-pty --duration 1 >/dev/null 2>&1
check "--bms-pty without --firmware: exit 2" test $? -eq 2

# a BMS on the pty: handshake, polls answered, no error
"$BMSRIG" esc --firmware "$image" --bms-pty --duration 5 >"$W/esc.out" 2>"$W/esc.err" &
esc=$!
pids="$esc"
pty=$(pty_of "$W/esc.out")
check "esc --firmware --bms-pty prints its pty path ($pty)" test -c "$pty"
"$BMSRIG" bms --port "$pty" --duration 5 >"$W/bms.out" 2>"$W/bms.err" &
pids="$esc $!"
wait "$esc"
rc=$?
pids=""
cat "$W/esc.out" "$W/esc.err"
check "answered: exit 0 (got $rc)" test $rc -eq 0
check "answered: the dashboard read error 0" grep -q '  error 0$' "$W/esc.out"
check "answered: never another error" sh -c "! grep -E '  error [1-9]' '$W/esc.out'"
check "answered: bytes both ways" grep -qE 'summary: .* error=0 bms_out=[1-9][0-9]* bms_in=[1-9]' "$W/esc.out"

# nobody on the pty: the boot handshake is never answered, error 21
"$BMSRIG" esc --firmware "$image" --bms-pty --duration 5 >"$W/quiet.out" 2>"$W/quiet.err" &
esc=$!
pids="$esc"
pty_of "$W/quiet.out" >/dev/null
wait "$esc"
rc=$?
pids=""
cat "$W/quiet.out"
check "silent BMS: exit 0 (got $rc)" test $rc -eq 0
check "silent BMS: error 21 within 5 s" grep -q '  error 21$' "$W/quiet.out"
check "silent BMS: nothing received" grep -q 'bms_in=0 ' "$W/quiet.out"
finish
