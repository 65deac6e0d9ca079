#!/bin/sh
# test_fw_agreement.sh BMSRIG IMAGE SRC: our controller firmware (hw/esc-fw, built from the same
# sim/esc.c as the virtual controller) against the virtual controller on the scenario library:
# every scenario the firmware target runs gets the same verdict, and its BMS requests (the
# esc_tx frames of the traces) go out within 1 ms of the virtual controller's, frame for frame.
# A scenario the firmware target cannot run is skipped with a reason, never passed; each skip
# and its reason is listed. Skips (77) when the image was not built.
# With IMAGE `stock` the image is $BMSRIG_STOCK_FW (a local stock image, never committed; skips
# without it) and only the verdicts must agree: the virtual controller runs the recorded
# figures (first request 589 ms, 209.5 ms polls), a stock image under emulation the emulated
# ones (573 ms, 210.0 ms), so request times are listed, not compared.
set -u
bin=$1
image=$2
src=$3
times=compare
if [ "$image" = stock ]; then
    if [ -z "${BMSRIG_STOCK_FW:-}" ]; then
        echo "skip: BMSRIG_STOCK_FW is not set (the path of a stock M365 ESC image such as DRV134.bin)"
        exit 77
    fi
    image=$BMSRIG_STOCK_FW
    times=list
    [ -r "$image" ] || { echo "FAILED: BMSRIG_STOCK_FW=$image is not readable"; exit 1; }
elif [ ! -s "$image" ]; then
    echo "skip: $image not built (arm-none-eabi-gcc missing)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { desc=$1; shift; if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fail=1; fi; }
US=$(printf '\037')
export US
folders="$src/scripts"

"$bin" run -q -j 2 --json "$tmp/vc.json" --trace "$tmp/vc" $folders >/dev/null 2>&1
"$bin" run -q -j 2 --firmware "$image" --json "$tmp/fw.json" --trace "$tmp/fw" $folders \
    >"$tmp/fw.out" 2>&1
for t in vc fw; do
    # one line per scenario, fields split by US (0x1f): a tab would merge empty fields in `read`
    jq -r '.scenarios[] | [(.file | sub(".*/scripts/"; "")), .verdict,
            ((.message // "-") | gsub("[\u001f\n]"; " ")), (.trace.bus // "")] | join("\u001f")' \
        "$tmp/$t.json" | sort >"$tmp/$t.tsv"
done
check "both runs report the same scenarios" \
    sh -c "[ \"\$(cut -d\"\$US\" -f1 '$tmp/vc.tsv')\" = \"\$(cut -d\"\$US\" -f1 '$tmp/fw.tsv')\" ]"

ran=0 skipped=0 same=0
while IFS="$US" read -r file fv fmsg fbus; do
    vline=$(grep -F "$file$US" "$tmp/vc.tsv" | head -n 1)
    vv=$(printf '%s' "$vline" | cut -d"$US" -f2)
    vbus=$(printf '%s' "$vline" | cut -d"$US" -f4)
    if [ "$fv" = skip ]; then
        skipped=$((skipped + 1))
        echo "# skip: $file: $fmsg"
        check "$file: a skip carries its reason" test "$fmsg" != "-"
        continue
    fi
    ran=$((ran + 1))
    if [ "$fv" = "$vv" ]; then
        same=$((same + 1))
    else
        check "$file: firmware $fv, virtual controller $vv ($fmsg)" false
        continue
    fi
    # request times, frame for frame (line esc_tx of both traces)
    : >"$tmp/v.t"
    : >"$tmp/f.t"
    [ -n "$vbus" ] && awk -F, '$2 == "esc_tx" { print $1 }' "$vbus" >"$tmp/v.t"
    [ -n "$fbus" ] && awk -F, '$2 == "esc_tx" { print $1 }' "$fbus" >"$tmp/f.t"
    res=$(paste -d' ' "$tmp/v.t" "$tmp/f.t" | awk '
        NF == 2 { d = ($2 - $1) * 1000; if (d < 0) d = -d; if (d > max) max = d; n++ }
        NF == 1 { extra++ }
        END { printf "%d %.3f %d", n, max, extra }')
    n=${res%% *}; rest=${res#* }; max=${rest%% *}; extra=${rest#* }
    if [ "$times" = list ]; then
        echo "ok - $file: $vv on both (requests: $n paired, worst $max ms apart, $extra unpaired)"
        continue
    fi
    check "$file: $vv on both; $n requests, worst $max ms apart, $extra unmatched" \
        awk -v m="$max" -v x="$extra" 'BEGIN { exit !(m <= 1.0 && x == 0) }'
done <"$tmp/fw.tsv"
echo "# $ran scenarios ran on the firmware target, $same with the virtual controller's verdict; $skipped skipped"
check "the firmware target ran some scenarios" test $ran -gt 0
exit $fail
