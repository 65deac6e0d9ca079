#!/bin/sh
# test_run_firmware.sh: `bmsrig run --firmware` with bad input: a missing, empty, truncated or
# non-Thumb image and a wrong base exit 2 (before any scenario runs) with a message naming the
# image; a bad option value exits 2; an image whose first instruction is undefined fails its
# scenario (exit 1, not a crash, not a hang) with a message naming the image and the PC; an
# image that spins without reaching the bus fails the scenario's expectations. The images are
# built here, a few bytes each (never a stock image).
# usage: test_run_firmware.sh BMSRIG SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC=$2
# words LE: write 32-bit little-endian words given in hex to a file
words() {
    out=$1; shift
    : >"$out"
    for w in "$@"; do
        printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((0x$w & 255)) $(((0x$w >> 8) & 255)) \
            $(((0x$w >> 16) & 255)) $(((0x$w >> 24) & 255)))" >>"$out"
    done
}
# image OUT RESET CODE: a 64-byte vector table (SP 0x20005000, reset vector RESET, the other
# 14 vectors to the code), then two Thumb words of CODE at base + 0x40
image() {
    v=""
    i=0
    while [ $i -lt 14 ]; do v="$v 08001041"; i=$((i + 1)); done
    words "$1" 20005000 "$2" $v "$3" E7FEE7FE
}
cat >"$W/s.lua" <<'LUA'
return scenario {
  name = "firmware sees error 21 without a BMS",
  timeout = 6,
  run = function(t)
    t:fault("bms_tx", "open")
    t:power_on()
    t:expect_error(21, { within = 5 })
  end,
}
LUA
# expect_bad DESC IMAGE [OPTIONS...]: exit 2 and the image's path in the message, no scenario run
expect_bad() {
    what=$1; img=$2; shift 2
    "$BMSRIG" run -q --firmware "$img" "$@" "$W/s.lua" >"$W/out" 2>"$W/err"
    rc=$?
    check "$what: exit 2 (got $rc)" [ "$rc" -eq 2 ]
    check "$what: message names the image" grep -qF "$img" "$W/err"
    check "$what: no scenario ran" sh -c "! grep -q 'passed\|failed' '$W/out'"
}
expect_bad "missing image" "$W/none.bin"
: >"$W/empty.bin"
expect_bad "empty image" "$W/empty.bin"
printf '\000\120' >"$W/trunc.bin"
expect_bad "truncated image" "$W/trunc.bin"
# SP in SRAM, reset vector even (ARM, not Thumb)
image "$W/arm.bin" 08001040 E7FEE7FE
expect_bad "non-Thumb reset vector" "$W/arm.bin"
# a sound image whose reset vector points below the given base
image "$W/udf.bin" 08001041 E7FEDE00
expect_bad "wrong base" "$W/udf.bin" --firmware-base 0x08004000

"$BMSRIG" run -q --firmware "$W/udf.bin" --firmware-base nope "$W/s.lua" >/dev/null 2>"$W/err"
check "bad --firmware-base: exit 2" [ $? -eq 2 ]
"$BMSRIG" run -q --firmware "$W/udf.bin" --esc-serial short "$W/s.lua" >/dev/null 2>"$W/err"
check "bad --esc-serial: exit 2" [ $? -eq 2 ]

"$BMSRIG" run --firmware "$W/udf.bin" "$W/s.lua" >"$W/out" 2>"$W/err"
rc=$?
{
    # UDF at the reset handler: the scenario fails, the run ends
    check "undefined instruction: exit 1 (got $rc)" [ "$rc" -eq 1 ]
    check "undefined instruction: names the image" grep -qF "udf.bin" "$W/out"
    check "undefined instruction: names the PC" grep -qi "pc 0x08001040" "$W/out"
    # b . (spins forever, never touches a bus): expectations fail clearly, within the timeout
    image "$W/spin.bin" 08001041 E7FEE7FE
    "$BMSRIG" run --firmware "$W/spin.bin" --watchdog 20 "$W/s.lua" >"$W/out" 2>"$W/err"
    rc=$?
    check "spinning image: exit 1 (got $rc)" [ "$rc" -eq 1 ]
    check "spinning image: the expectation names what was missing" \
        grep -q "observed error -1" "$W/out"
}
[ "$fails" -eq 0 ] || cat "$W/out" "$W/err"
finish
