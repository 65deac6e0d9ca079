#!/bin/sh
# test_run_traces.sh BMSRIG SOURCE_DIR: what `bmsrig run --trace` leaves per scenario tells the
# truth: the bus log shows the replies a cut wire kept from the controller (and decode counts
# them), the signals CSV ends at the scenario's last instant (not up to 100 ms before it), and
# the events file holds the verdict, every expectation with its window, the measurements, the
# faults set and cleared and the log lines the HTML pages are built from (faults also in --json).
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC=$2

"$BMSRIG" run -q --trace "$W/tr" --json "$W/run.json" "$SRC/scripts/comm/bms_tx_cut_riding.lua" \
    "$SRC/scripts/comm/esc_tx_cut.lua" >/dev/null
check "the wire-cut scenarios pass" test $? -eq 0

# 1. The bus log: both wires, with the fault and what arrived.
"$BMSRIG" decode "$W/tr/bms_tx_cut_riding.bus.csv" >"$W/bms_cut.txt"
check "bms_tx cut: decode lists replies the controller never got" \
    grep -q 'BMS->ESC  read-reply 0x30 .* \[bms_tx_open: never received\]$' "$W/bms_cut.txt"
lost=$(grep -c '\[bms_tx_open: never received\]' "$W/bms_cut.txt")
check "bms_tx cut: 25 replies lost (the 25 misses that raise error 21), got $lost" test "$lost" -eq 25
check "bms_tx cut: the summary counts them" \
    grep -qx 'faults: 25 never received, 0 arrived altered (25 bms_tx_open)' "$W/bms_cut.txt"
"$BMSRIG" decode "$W/tr/esc_tx_cut.bus.csv" >"$W/esc_cut.txt"
check "esc_tx cut: the polls the BMS never heard are in the log" \
    grep -q 'ESC->BMS  read 0x30 12 bytes \[esc_tx_open: never received\]$' "$W/esc_cut.txt"
"$BMSRIG" decode --json "$W/tr/bms_tx_cut_riding.bus.csv" >"$W/bms_cut.json"
check "decode --json: not_received 25" test "$(jq '.summary.not_received' "$W/bms_cut.json")" = 25
check "the trace header says what the rows are" \
    grep -q '^# rows: every frame on both wires as sent' "$W/tr/bms_tx_cut_riding.bus.csv"

# 2. The signals CSV reaches the end of the scenario.
for s in bms_tx_cut_riding esc_tx_cut; do
    last=$(tail -n 1 "$W/tr/$s.signals.csv" | cut -d, -f1)
    end=$(jq -r --arg f "$s.lua" '.scenarios[] | select(.file | endswith($f)) | .sim_time_s' "$W/run.json")
    check "$s: the last signals row ($last s) is the scenario's end ($end s)" \
        awk -v a="$last" -v b="$end" 'BEGIN { d = a - b; exit !(d < 0.0015 && d > -0.0015) }'
done

# 3. The events file.
ev="$W/tr/bms_tx_cut_riding.events.tsv"
check "an events file is written" test -s "$ev"
check "it starts with its format line" grep -qx '# bmsrig scenario events v1' "$ev"
check "the verdict, with the full name" \
    grep -q "$(printf 'verdict\tpass\t\tBMS TX cut while riding: error 21 in 5.1-5.4 s, cleared on reconnect')" "$ev"
nexp=$(grep -c "$(printf '\texpect\t')" "$ev")
want=$(jq -r '.scenarios[] | select(.file | endswith("bms_tx_cut_riding.lua")) | .expectations | length' "$W/run.json")
check "every expectation ($want in the JSON), got $nexp" test "$nexp" = "$want"
check "an expectation carries its window start" \
    awk -F'\t' '$2 == "expect" && $4 != "" && $4 + 0 < $1 + 0 { found = 1 } END { exit !found }' "$ev"
check "the measurement with its limits" \
    awk -F'\t' '$2 == "measure" && $5 == "error21_after_s" && $8 == 5.1 && $9 == 5.4 && $10 == "s" { found = 1 } END { exit !found }' "$ev"

# 4. A failing scenario's events: the failed expectation and its message; the log lines.
cat >"$W/failing.lua" <<'LUA'
return scenario {
  name = "a scenario that fails on purpose",
  run = function(t)
    t:power_on()
    t:log("powered on")
    t:expect_error(0, { within = 4 })
    t:measure("pack_v", t:voltage(), { max = 10, unit = "V" })
    t:expect_error(21, { within = 0.5 })
  end,
}
LUA
"$BMSRIG" run -q --trace "$W/tr2" "$W/failing.lua" >/dev/null
check "the failing scenario fails (exit 1)" test $? -eq 1
ev2="$W/tr2/failing.events.tsv"
check "its failed expectation is there, with the message" \
    awk -F'\t' '$2 == "expect" && $3 == "fail" && $5 == "error 21" && $11 ~ /still false after 0.500 s/ { found = 1 } END { exit !found }' "$ev2"
check "its failed measurement is there" \
    awk -F'\t' '$2 == "measure" && $3 == "fail" && $5 == "pack_v" { found = 1 } END { exit !found }' "$ev2"
check "its log line is there" awk -F'\t' '$2 == "log" && $11 == "powered on" { found = 1 } END { exit !found }' "$ev2"
check "its verdict is fail" awk -F'\t' '$2 == "verdict" && $3 == "fail" { found = 1 } END { exit !found }' "$ev2"

# 5. Faults set and cleared: a pack fault and a line fault, each a `fault` row at the time the
# engine applied it, with the fault's name, target and arguments; the same list in the JSON.
cp "$SRC/tests/data/faults.lua" "$W/faults.lua"
"$BMSRIG" run -q --trace "$W/tr3" --json "$W/faults.json" "$W/faults.lua" >/dev/null
check "the fault scenario passes" test $? -eq 0
ev3="$W/tr3/faults.events.tsv"
awk -F'\t' '$2 == "fault" { printf "%.3f %s %s|%s|%s|%s\n", $1, $3, $5, $6, $7, $11 }' "$ev3" >"$W/faults.rows"
cat >"$W/faults.want" <<'ROWS'
1.000 set cell_short|group 4 cell 1|0.5|0.5 ohm
1.500 set bms_tx||1|1
2.500 clear bms_tx|||clear
3.000 clear cell_short|group 4 cell 1||none
3.000 set ntc|ntc 1||open
ROWS
check "the fault rows: times, set/clear, names, targets, values, arguments" \
    cmp -s "$W/faults.rows" "$W/faults.want"
cmp -s "$W/faults.rows" "$W/faults.want" || diff "$W/faults.want" "$W/faults.rows"
check "the JSON report lists the same faults" \
    test "$(jq -c '[.scenarios[0].faults[] | [.t_s, .action, .name, .target]]' "$W/faults.json")" = \
    '[[1,"set","cell_short","group 4 cell 1"],[1.5,"set","bms_tx",""],[2.5,"clear","bms_tx",""],[3,"clear","cell_short","group 4 cell 1"],[3,"set","ntc","ntc 1"]]'
"$BMSRIG" run -q --suppress-faults --trace "$W/tr4" "$W/faults.lua" >/dev/null
check "with --suppress-faults no fault is applied, so none is recorded" \
    test "$(awk -F'\t' '$2 == "fault"' "$W/tr4/faults.events.tsv" | wc -l)" -eq 0
check "... and the events file is still written" grep -q "$(printf '\tverdict\t')" "$W/tr4/faults.events.tsv"
awk -F'\t' '$2 == "fault_suppressed" { printf "%.3f %s %s|%s|%s|%s\n", $1, $3, $5, $6, $7, $11 }' \
    "$W/tr4/faults.events.tsv" >"$W/supp.rows"
check "... but every fault the script asked for is a fault_suppressed row, as the faults were" \
    cmp -s "$W/supp.rows" "$W/faults.want"
cmp -s "$W/supp.rows" "$W/faults.want" || diff "$W/faults.want" "$W/supp.rows"
"$BMSRIG" run -q --suppress-faults --html "$W/h4" "$W/faults.lua" >/dev/null
check "the HTML page lists the faults kept off" \
    sh -c "grep -q '<h2>Faults kept off</h2>' '$W/h4/faults.html' && test \$(grep -c 'class=\"fault-suppressed\"' '$W/h4/faults.html') -eq 5"
check "... and shows no applied fault" grep -q '<p>0 set or cleared by the scenario' "$W/h4/faults.html"
finish
