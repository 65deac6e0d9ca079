#!/bin/sh
# test_library.sh: the scenario library (scripts/) on the virtual target, both ways:
#   - normally: every scenario passes (exit 0), at least 24 of them;
#   - with --suppress-faults: every scenario tagged "fault" fails, the others still pass, and
#     the scenarios that request faults are exactly the ones tagged "fault";
#   - reproducible: the same seed gives the same results, with 1 job or 2;
#   - traces: the bus log of a run is read back by `bmsrig decode`.
# usage: test_library.sh BMSRIG SOURCE_DIR
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
SRC=$2
cd "$SRC" || exit 1

"$BMSRIG" run -q -j 2 --seed 7 --json "$W/a.json" --junit "$W/a.xml" --trace "$W/tr" scripts
rc=$?
check "library passes (exit $rc)" test "$rc" -eq 0
check "at least 24 scenarios, all passed" sh -c 'jq -e "$1" "$2" >/dev/null' _ '.counts.total >= 24 and .counts.pass == .counts.total' "$W/a.json"
jq -r '.scenarios[] | select(.verdict != "pass") | "  not passed: \(.file): \(.message)"' "$W/a.json"
check "JUnit of the library validates" xmllint --noout --schema tests/data/junit-10.xsd "$W/a.xml"
check "fault tags match fault requests" sh -c 'jq -e "$1" "$2" >/dev/null' _ '[.scenarios[] | ((.tags | index("fault")) != null) == (.faults_requested > 0)] | all' "$W/a.json"
jq -r '.scenarios[] | select(((.tags | index("fault")) != null) != (.faults_requested > 0)) | "  tag/request mismatch: \(.file)"' "$W/a.json"

"$BMSRIG" run -q -j 2 --seed 7 --suppress-faults --json "$W/s.json" scripts
rc=$?
check "suppressed run fails (exit $rc)" test "$rc" -eq 1
check "every fault scenario fails under --suppress-faults" sh -c 'jq -e "$1" "$2" >/dev/null' _ '[.scenarios[] | select(.tags | index("fault")) | .verdict == "fail"] | (length > 10 and all)' "$W/s.json"
jq -r '.scenarios[] | select((.tags | index("fault")) and .verdict != "fail") | "  still passes: \(.file)"' "$W/s.json"
check "no fault was applied under --suppress-faults" sh -c 'jq -e "$1" "$2" >/dev/null' _ '[.scenarios[].faults_applied] | add == 0' "$W/s.json"
check "scenarios without faults still pass" sh -c 'jq -e "$1" "$2" >/dev/null' _ '[.scenarios[] | select((.tags | index("fault")) | not) | .verdict == "pass"] | all' "$W/s.json"

"$BMSRIG" run -q -j 1 --seed 7 --json "$W/b.json" scripts
strip='del(.wall_s, .timestamp) | .scenarios |= map(del(.wall_s, .trace))'
jq -S "$strip" "$W/a.json" >"$W/a.n"
jq -S "$strip" "$W/b.json" >"$W/b.n"
check "same seed, -j 2 and -j 1: identical results" cmp -s "$W/a.n" "$W/b.n"
"$BMSRIG" run -q --seed 8 --json "$W/c.json" scripts/comm/moisture_connector.lua
"$BMSRIG" run -q --seed 7 --json "$W/d.json" scripts/comm/moisture_connector.lua
check "another seed changes the random faults' outcome" sh -c "! cmp -s '$W/c.json' '$W/d.json' && [ \"\$(jq -c '.scenarios[0].measurements' '$W/c.json')\" != \"\$(jq -c '.scenarios[0].measurements' '$W/d.json')\" ]"

check "bus trace decodes" sh -c "'$BMSRIG' decode '$W/tr/bms_tx_cut_riding.bus.csv' | grep -q 'read 0x30'"
check "signals trace has rows" sh -c "[ \$(wc -l < '$W/tr/bms_tx_cut_riding.signals.csv') -gt 100 ]"

finish
