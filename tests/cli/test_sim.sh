#!/bin/sh
# test_sim.sh BMSRIG FIXTURES: `bmsrig sim` end to end: CSV shape, profiles, charge, faults,
# byte-identical reruns, and bad input naming the option or file:line.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
fx=$2

"$BMSRIG" sim --pack 10s3p --load 7 --until-cutoff --dt 2 --quiet --out "$W/a.csv"
check "discharge to cut-off exits 0" test $? -eq 0
check "header names pack and NTC columns" sh -c "head -1 '$W/a.csv' | grep -q '^t_s,pack_v,pack_i_a,g0_v,.*,c29_temp_c,ntc0_c,ntc0_adc,ntc1_c,ntc1_adc\$'"
cols=$(head -1 "$W/a.csv" | awk -F, '{print NF}')
check "10s3p has 3+10+10+30+30+4 columns" test "$cols" -eq 87
# 7.8 Ah at 7 A: roughly an hour (3500..4100 s) before the first group reaches 2.5 V.
tend=$(tail -1 "$W/a.csv" | cut -d, -f1)
check "7 A discharge lasts about an hour ($tend s)" awk -v t="$tend" 'BEGIN{exit !(t>3500 && t<4100)}'

"$BMSRIG" sim --pack 12s4p --soc 0.2 --charge 3 --cv 50.4 --until-cutoff --dt 5 --quiet --out "$W/c.csv"
check "CC-CV charge exits 0" test $? -eq 0
vend=$(tail -1 "$W/c.csv" | cut -d, -f2)
check "charge ends at the CV set-point ($vend V)" awk -v v="$vend" 'BEGIN{exit !(v>50.3 && v<50.45)}'

"$BMSRIG" sim --profile "$fx/drive/m365_urban_synthetic.csv" --quiet --out "$W/u.csv"
check "synthetic urban profile runs" test $? -eq 0
"$BMSRIG" sim --profile "$fx/drive/aboutenergy_nmc_drivecycle_10s3p.csv" --dt 1 --until-cutoff --quiet --out "$W/d.csv"
check "NMC drive cycle runs to cut-off" test $? -eq 0

run_faulty() {
    "$BMSRIG" sim --load 8 --duration 120 --dt 0.01 --seed "$1" --quiet \
        --fault ntc_intermittent:0:0.5 --fault short:4:50@10 --fault sense_open:3@30 \
        --fault offset_mv:6:-150 --out "$2"
}
run_faulty 5 "$W/f1.csv"; run_faulty 5 "$W/f2.csv"; run_faulty 6 "$W/f3.csv"
check "same inputs and seed: byte-identical CSV" cmp -s "$W/f1.csv" "$W/f2.csv"
check "another seed changes the intermittent NTC" sh -c "! cmp -s '$W/f1.csv' '$W/f3.csv'"
g2=$(tail -1 "$W/f1.csv" | cut -d, -f16)
check "open tap 3 makes group 2 read ~0 V ($g2)" awk -v v="$g2" 'BEGIN{exit !(v<0.01 && v>-0.01)}'

expect_usage() {
    desc=$1; pattern=$2; shift 2
    msg=$("$BMSRIG" sim "$@" 2>&1 >/dev/null); rc=$?
    check "$desc exits 2" test $rc -eq 2
    check "$desc names '$pattern'" sh -c "printf '%s' \"\$1\" | grep -q -- \"\$2\"" _ "$msg" "$pattern"
}
expect_usage "bad --soc" "--soc" --load 1 --duration 1 --soc 1.5 --out "$W/x.csv"
expect_usage "bad --pack" "--pack" --pack 20s1p --load 1 --duration 1 --out "$W/x.csv"
expect_usage "bad --dt" "--dt" --load 1 --duration 1 --dt 0 --out "$W/x.csv"
expect_usage "bad --fault" "unknown fault" --load 1 --duration 1 --fault melt:1 --out "$W/x.csv"
expect_usage "--fault value the pack refuses" "--fault short:0:-5" --load 1 --duration 1 --fault short:0:-5 --out "$W/x.csv"
expect_usage "--fault value refused at its time" "--fault weak:0:-1:1@0.5" --load 1 --duration 1 --fault weak:0:-1:1@0.5 --out "$W/x.csv"
# ... refused before the first row (issue 16): nothing on standard output, no --out file
for spec in short:0:-1 weak:0:0:0 'weak:0:-1:1@0.5'; do
    rows=$("$BMSRIG" sim --load 1 --duration 1 --fault "$spec" --out - 2>/dev/null | wc -l)
    check "--fault $spec: no row written to stdout ($rows lines)" test "$rows" -eq 0
    rm -f "$W/none.csv"
    "$BMSRIG" sim --load 1 --duration 1 --fault "$spec" --out "$W/none.csv" 2>/dev/null
    check "--fault $spec: no --out file created" test ! -e "$W/none.csv"
done
expect_usage "empty --fault field" "--fault 'weak:0::1:2': field 3 (CAP_FACTOR) is empty" --load 1 --duration 1 --fault weak:0::1:2 --out "$W/x.csv"
expect_usage "empty --fault index" "--fault 'short::50': field 2 (CELL) is empty" --load 1 --duration 1 --fault short::50 --out "$W/x.csv"
expect_usage "trailing empty --fault field" "--fault 'ntc_open:0:': field 3 is empty" --load 1 --duration 1 --fault ntc_open:0: --out "$W/x.csv"
expect_usage "leading empty --fault field" "--fault ':cell_open:0': field 1 (NAME) is empty" --load 1 --duration 1 --fault :cell_open:0 --out "$W/x.csv"
expect_usage "missing --out" "--out" --load 1 --duration 1
expect_usage "two load modes" "exactly one" --load 1 --charge 1 --cv 42 --duration 1 --out "$W/x.csv"
expect_usage "unknown cell" "no cell set 'nosuch'" --cell nosuch --load 1 --duration 1 --out "$W/x.csv"
printf 't_s,current_a\n0,1\n1,abc\n' > "$W/bad.csv"
expect_usage "bad profile row" "bad.csv:3:" --profile "$W/bad.csv" --out "$W/x.csv"
printf 'name x\nrated_ah -2 [S] x\n' > "$W/bad.cell"
expect_usage "bad cell file" "bad.cell:2: rated_ah" --cell "$W/bad.cell" --load 1 --duration 1 --out "$W/x.csv"
"$BMSRIG" sim --load 5 --duration 5 --quiet --ntc 0,1 --ntc 5 --ntc 29 --out "$W/n.csv"
check "--ntc places three sensors" sh -c "head -1 '$W/n.csv' | grep -q 'ntc2_adc\$'"
expect_usage "bad --ntc" "--ntc" --load 1 --duration 1 --ntc 0,30 --out "$W/x.csv"

# bench sim: a short smoke run (speed is reported, never asserted here).
"$BMSRIG" bench sim --seconds 0.01 --no-callgrind --pack 10s3p > "$W/b.json"
check "bench sim exits 0" test $? -eq 0
check "bench sim prints cell_steps_per_s" grep -q '"cell_steps_per_s": [0-9]' "$W/b.json"
check "bench sim prints the real-time factor" grep -q '"realtime_factor": [0-9]' "$W/b.json"
check "bench sim prints the ratio to the reference kernel" grep -q '"speedup_vs_reference": [0-9]' "$W/b.json"
check "bench sim prints the ratio to the path's floor" grep -q '"floor_ratio": [0-9]' "$W/b.json"
check "bench sim states the plain path's floor for lg_m26" \
    grep -q '"path": {"name": "plain 2-RC", "flops_per_cell_step": [0-9]' "$W/b.json"
check "bench sim states the measured peak rates" grep -q '"peak": {"flops_per_s": [0-9]' "$W/b.json"
"$BMSRIG" bench sim --seconds 0.01 --no-callgrind --pack 1s2p --cell samsung_26f > "$W/b26f.json"
check "bench sim --cell samsung_26f takes the charge-transfer path's floor" \
    grep -q '"name": "charge transfer".*"floor_bound": "[a-z1 ]*"' "$W/b26f.json"
"$BMSRIG" bench sim --seconds 0 >/dev/null 2>&1
check "bench sim --seconds 0 is bad input" test $? -eq 2
finish
