#!/bin/sh
# test_fw_cpu_traces.sh: `--firmware-cpu` reaches the device under test: the whole scenario
# library on our image under the unicorn and the interp CPU backends gives byte-identical traces
# and the same verdicts (the backends agree instruction by instruction: fw_cpu_lockstep), and the
# JSON report names the backend and -v the emulator's log. Bad use exits 2: an unknown backend (the message lists the
# known ones) and --firmware-cpu without --firmware. With BMSRIG_STOCK_FW set, the comm scenarios
# on the stock image agree alike.
# usage: test_fw_cpu_traces.sh BMSRIG OUR_IMAGE SOURCE_DIR
set -u
. "$(dirname "$0")/../cli/lib.sh"
lib_init "$1"
OURS=$2
SRC=$3

"$BMSRIG" run -q --firmware "$OURS" --firmware-cpu bogus "$SRC/scripts/comm" >/dev/null 2>"$W/err"
check "unknown backend: exit 2" [ $? -eq 2 ]
check "unknown backend: the known ones listed" grep -q "unicorn, interp" "$W/err"
"$BMSRIG" run -q --firmware-cpu interp "$SRC/scripts/comm" >/dev/null 2>"$W/err"
check "--firmware-cpu without --firmware: exit 2" [ $? -eq 2 ]
"$BMSRIG" esc --firmware-cpu interp --duration 1 >/dev/null 2>"$W/err"
check "esc: --firmware-cpu without --firmware: exit 2" [ $? -eq 2 ]

[ -f "$OURS" ] || skip "our image $OURS not built (no arm-none-eabi-gcc)"
# The option reaches the emulator: -v names the CPU that runs the image.
for cpu in unicorn interp; do
    "$BMSRIG" run -q --firmware "$OURS" --firmware-verbose --firmware-cpu "$cpu" \
        "$SRC/scripts/comm/bms_tx_cut_riding.lua" >"$W/v.out" 2>&1
    check "--firmware-cpu $cpu: the emulator runs $cpu" grep -q "emulated CPU: $cpu " "$W/v.out"
done
"$BMSRIG" run -q --firmware "$OURS" --firmware-verbose "$SRC/scripts/comm/bms_tx_cut_riding.lua" \
    >"$W/v.out" 2>&1
check "default: the emulator runs interp" grep -q "emulated CPU: interp " "$W/v.out"
# agree IMAGE LABEL DIRS...: both backends, traces and the verdict lines compared
agree() {
    img=$1; label=$2; shift 2
    for cpu in unicorn interp; do
        (cd "$SRC" && "$BMSRIG" run -q -j2 --seed 7 --firmware "$img" --firmware-cpu "$cpu" \
            --trace "$W/$label-$cpu" --json "$W/$label-$cpu.json" "$@") >"$W/$label-$cpu.out" 2>&1
        echo $? >"$W/$label-$cpu.rc"
    done
    check "$label: same exit status ($(cat "$W/$label-unicorn.rc"), $(cat "$W/$label-interp.rc"))" \
        cmp -s "$W/$label-unicorn.rc" "$W/$label-interp.rc"
    n=$(find "$W/$label-unicorn" -type f | wc -l)
    check "$label: traces written ($n files)" [ "$n" -gt 10 ]
    check "$label: traces byte-identical" diff -r "$W/$label-unicorn" "$W/$label-interp"
    for cpu in unicorn interp; do
        grep -o '"verdict": "[a-z_]*"' "$W/$label-$cpu.json" >"$W/$label-$cpu.verdicts"
    done
    check "$label: same verdicts" cmp -s "$W/$label-unicorn.verdicts" "$W/$label-interp.verdicts"
    check "$label: the JSON names the backend" grep -q '"firmware_cpu": "interp"' "$W/$label-interp.json"
}
agree "$OURS" ours scripts/
if [ -n "${BMSRIG_STOCK_FW:-}" ]; then
    agree "$BMSRIG_STOCK_FW" stock scripts/comm
else
    echo "skip: BMSRIG_STOCK_FW unset (path of a local stock image such as DRV134.bin)"
fi
finish
