#!/bin/sh
# lava-results.sh REPORT.json: turns a `bmsrig run --json` report into LAVA results: one
# `lava-test-case` per scenario (pass, fail, skip; error, rig fault and not run are fail) and
# one per measurement, named SCENARIO.MEASUREMENT, with its value and unit. Needs jq.
# Test case names are the scenario's file stem with anything outside [A-Za-z0-9_.-] as '_'.
set -eu
report=${1:?usage: lava-results.sh REPORT.json}
command -v lava-test-case >/dev/null 2>&1 || { echo "lava-results.sh: lava-test-case not on PATH (run inside a LAVA test shell)" >&2; exit 2; }
jq -r '
  def stem: (.file | split("/") | last | sub("\\.lua$"; "") | gsub("[^A-Za-z0-9_.-]"; "_"));
  def result: if . == "pass" then "pass" elif . == "skip" then "skip" else "fail" end;
  .scenarios[] as $s
  | ($s | stem) as $n
  | ([$n, ($s.verdict | result), "", ""] | @tsv),
    ($s.measurements // [] | .[]
      | [($n + "." + (.name | gsub("[^A-Za-z0-9_.-]"; "_"))), (.verdict | result),
         (.value | tostring), (.unit // "")] | @tsv)
' "$report" | while IFS="$(printf '\t')" read -r name result value unit; do
    if [ -n "$value" ] && [ "$value" != "null" ]; then
        lava-test-case "$name" --result "$result" --measurement "$value" --units "${unit:-none}"
    else
        lava-test-case "$name" --result "$result"
    fi
done
