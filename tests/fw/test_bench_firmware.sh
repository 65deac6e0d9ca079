#!/bin/sh
# test_bench_firmware.sh: `bmsrig bench firmware`: our image runs and its JSON reports the speed
# and the first BMS byte; a missing image exits 2 naming it; a bad --seconds exits 2. With
# BMSRIG_STOCK_FW set (a local copy of a stock image, never committed) the stock image boots to
# its first BMS request at 570..580 ms (reference: ~573 ms). --firmware-cpu: both backends run
# the same instructions and bus bytes; an unknown one exits 2.
# usage: test_bench_firmware.sh BMSRIG OUR_IMAGE
set -u
BMSRIG=$1
OURS=$2
fails=0
check() {
    desc=$1; shift
    if "$@"; then echo "ok: $desc"; else echo "FAILED: $desc"; fails=$((fails + 1)); fi
}
field() { # field JSON NAME: the value of a top-level number/null field
    printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p"
}

out=$("$BMSRIG" bench firmware /nonexistent/fw.bin --seconds 1 2>&1); rc=$?
check "missing image exits 2" [ "$rc" -eq 2 ]
check "missing image is named" sh -c 'printf "%s" "$1" | grep -q /nonexistent/fw.bin' _ "$out"
"$BMSRIG" bench firmware --seconds 0 >/dev/null 2>&1
check "--seconds 0 exits 2" [ $? -eq 2 ]

if [ -f "$OURS" ]; then
    json=$("$BMSRIG" bench firmware "$OURS" --seconds 2); rc=$?
    check "our image: exit 0" [ "$rc" -eq 0 ]
    check "our image: ran 2 virtual seconds" [ "$(field "$json" virtual_s)" = "2.000000" ]
    first=$(field "$json" first_bms_byte_ms)
    check "our image: a BMS byte ($first ms)" awk -v f="$first" 'BEGIN { exit !(f > 500 && f < 700) }'
    check "our image: instructions counted" awk -v n="$(field "$json" instructions)" 'BEGIN { exit !(n > 0) }'
    check "our image: mostly idle" awk -v i="$(field "$json" idle_fraction)" 'BEGIN { exit !(i > 0.5) }'
    # both CPU backends: named in the JSON, the same instructions and bus bytes (lockstep)
    for cpu in unicorn interp; do
        j=$("$BMSRIG" bench firmware "$OURS" --seconds 2 --firmware-cpu "$cpu")
        check "--firmware-cpu $cpu: named" sh -c 'printf "%s" "$1" | grep -q "\"cpu\":\"$2\""' _ "$j" "$cpu"
        for f in instructions bms_tx_bytes dash_tx_bytes first_bms_byte_ms; do
            check "--firmware-cpu $cpu: $f as the default's" [ "$(field "$j" $f)" = "$(field "$json" $f)" ]
        done
    done
    "$BMSRIG" bench firmware "$OURS" --seconds 1 --firmware-cpu nope >/dev/null 2>&1
    check "--firmware-cpu nope: exit 2" [ $? -eq 2 ]
else
    echo "skip: our image $OURS not built (no arm-none-eabi-gcc)"
fi

if [ -n "${BMSRIG_STOCK_FW:-}" ]; then
    json=$("$BMSRIG" bench firmware "$BMSRIG_STOCK_FW" --seconds 0.7); rc=$?
    check "stock image: exit 0" [ "$rc" -eq 0 ]
    first=$(field "$json" first_bms_byte_ms)
    check "stock image: first BMS request at 570..580 ms ($first)" \
        awk -v f="$first" 'BEGIN { exit !(f > 570 && f < 580) }'
    check "stock image: no unmodelled-access storm" \
        awk -v u="$(field "$json" unmodelled_accesses)" 'BEGIN { exit !(u < 1000) }'
else
    echo "skip: BMSRIG_STOCK_FW unset (path of a local stock image such as DRV134.bin)"
fi
[ "$fails" -eq 0 ]
