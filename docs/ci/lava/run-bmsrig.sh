#!/bin/sh
# run-bmsrig.sh: the one step of the LAVA test definition bmsrig-nightly.yaml. Runs the
# scenario library (or $SCENARIOS) on the bench $RIG (a board name or description path; empty =
# the virtual target), waits up to $LOCK_WAIT s for a busy bench, runs shard $SHARD (K/N) when
# given, keeps the reports in $OUT, and reports every scenario and measurement to LAVA through
# lava-results.sh, then the run itself as the test case bmsrig-run (its exit code as a
# measurement: 0 pass, 1 a scenario failed, 2 bad input, 3 rig fault, 4 interrupted).
set -u
here=$(cd "$(dirname "$0")" && pwd)
BMSRIG=${BMSRIG:-bmsrig}
OUT=${OUT:-bmsrig-out}
mkdir -p "$OUT"
set -- --json "$OUT/report.json" --junit "$OUT/junit.xml"
if [ -n "${RIG:-}" ]; then
    set -- "$@" --rig "$RIG" --lock-wait "${LOCK_WAIT:-0}"
fi
[ -n "${SHARD:-}" ] && set -- "$@" --shard "$SHARD"
[ -n "${FILTER:-}" ] && set -- "$@" --filter "$FILTER"
# shellcheck disable=SC2086  # SCENARIOS is a list of paths
"$BMSRIG" run "$@" ${SCENARIOS:-}
rc=$?
if [ -f "$OUT/report.json" ]; then
    sh "$here/lava-results.sh" "$OUT/report.json"
fi
if [ "$rc" -eq 0 ]; then result=pass; else result=fail; fi
lava-test-case bmsrig-run --result "$result" --measurement "$rc" --units exit-code
exit 0   # LAVA reads the verdicts from the test cases; a non-zero step would hide them
