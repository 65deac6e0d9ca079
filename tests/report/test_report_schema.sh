#!/bin/sh
# test_report_schema.sh: the JSON run report against docs/run-report.schema.json (draft
# 2020-12, python3-jsonschema): real output of `bmsrig run` (virtual target with pass, fail,
# error, skip, measurements, logs, traces; the emulated bench with its metadata; a merged
# report) validates, and broken documents are rejected. Also the run metadata in JUnit: what is
# known is there (bench, FTDI serial on a bench; the firmware version the virtual controller
# answers on its dashboard bus, tagged; measurement values as numbers), what is not is absent
# (no bench on the virtual target, no version on a bench that does not read it), and JUnit stays
# junit-10.xsd.
# usage: test_report_schema.sh BMSRIG SOURCE_DIR EMU_DIR
set -u
. "$(dirname "$0")/../cli/lib.sh"
lib_init "$1"
SRC=$2
EMU=$3
schema="$SRC/docs/run-report.schema.json"
validate() { python3 "$SRC/tests/report/validate_report.py" "$schema" "$@" >"$W/v.out" 2>&1; }

mkdir -p "$W/s"
cat >"$W/s/pass.lua" <<'LUA'
return scenario { name = "passes with a measurement", description = "one of each record",
  tags = { "schema" },
  run = function(t)
    t:power_on()
    t:log("a log line")
    t:measure("pack voltage", t:pack().voltage, { min = 30, max = 45, unit = "V" })
    t:expect_error(0, { ["for"] = 1 })   -- the controller answers its first dashboard read after ~0.6 s
  end }
LUA
cat >"$W/s/fail.lua" <<'LUA'
return scenario { name = "fails", run = function(t)
  t:measure("out of range", 5, { max = 1, unit = "A" })
  t:expect("never", function() return false end, { within = 0.1 }) end }
LUA
cat >"$W/s/error.lua" <<'LUA'
return scenario { name = "errors", run = function(t) local x = nil; x.y = 1 end }
LUA
cat >"$W/s/skip.lua" <<'LUA'
return scenario { name = "skips", run = function(t) t:skip("needs a heater") end }
LUA
"$BMSRIG" run -q --seed 11 --json "$W/v.json" --junit "$W/v.xml" --trace "$W/tr" "$W/s" \
    >/dev/null 2>&1
check "the run wrote its JSON report" test -s "$W/v.json"
check "it holds a pass, a fail, an error and a skip" \
    jqe '[.scenarios[].verdict] | sort == ["error", "fail", "pass", "skip"]' "$W/v.json"
validate "$W/v.json"; rc=$?
check "virtual run: the JSON validates against the schema (exit $rc)" test $rc -eq 0
[ $rc -eq 0 ] || cat "$W/v.out"
check "virtual run: host and start time are there" jqe '.host != "" and (.timestamp | length) == 19' "$W/v.json"
check "virtual run: no bench invented" jqe 'has("bench") | not' "$W/v.json"
check "virtual run: the firmware version the virtual controller answered on its dashboard bus, tagged" \
    jqe '.dut == {"firmware_version": "1.3.4", "firmware_version_source": "virtual controller model"}' "$W/v.json"
"$BMSRIG" run -q --seed 11 --json "$W/off.json" --junit "$W/off.xml" "$W/s/fail.lua" >/dev/null 2>&1
check "a run whose controller never powers on: no firmware version (none was read)" \
    sh -c "jq -e 'has(\"dut\") | not' '$W/off.json' >/dev/null && ! grep -q dut_firmware_version '$W/off.xml'"
check "virtual run: JUnit validates against junit-10.xsd" \
    xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/v.xml"
check "JUnit: run metadata on the suites (version, run seed, start time, host)" \
    sh -c "grep -q '<property name=\"bmsrig_version\" value=\"[^\"]' '$W/v.xml' &&
           grep -q '<property name=\"run_seed\" value=\"11\"/>' '$W/v.xml' &&
           grep -q '<property name=\"start_time\" value=\"....-..-..T..:..:..\"/>' '$W/v.xml' &&
           grep -q '<property name=\"host\" value=\"' '$W/v.xml'"
check "JUnit virtual run: no bench or FTDI serial property" \
    not grep -q 'name="bench"\|name="ftdi_serial"' "$W/v.xml"
check "JUnit virtual run: the firmware version read and what answered" \
    sh -c "grep -q '<property name=\"dut_firmware_version\" value=\"1.3.4\"/>' '$W/v.xml' &&
           grep -q '<property name=\"dut_firmware_version_source\" value=\"virtual controller model\"/>' '$W/v.xml'"
check "JUnit: a measurement as numbers (value, unit, max, pass)" \
    sh -c "grep -q '<property name=\"measure.out of range.value\" value=\"5\"/>' '$W/v.xml' &&
           grep -q '<property name=\"measure.out of range.unit\" value=\"A\"/>' '$W/v.xml' &&
           grep -q '<property name=\"measure.out of range.max\" value=\"1\"/>' '$W/v.xml' &&
           grep -q '<property name=\"measure.out of range.pass\" value=\"false\"/>' '$W/v.xml'"

# The emulated bench: bench name and FTDI serial from its description.
board="$SRC/hw/boards/emulated.lua"
cat >"$W/bench.lua" <<'LUA'
return scenario { name = "bench metadata", run = function(t) t:power_on(); t:wait(0.2) end }
LUA
LD_LIBRARY_PATH="$EMU" BMSRIG_LOCK_DIR="$W" BMSRIG_EMU_LOG="$W/emu.log" \
    "$BMSRIG" run -q --rig "$board" --json "$W/b.json" --junit "$W/b.xml" "$W/bench.lua" \
    >"$W/b.out" 2>&1
check "bench run: exit 0" test $? -eq 0
validate "$W/b.json"; rc=$?
check "bench run: the JSON validates (exit $rc)" test $rc -eq 0
check "bench run: JSON names the bench and its FTDI serial" \
    jqe '.bench == {"name": "emulated", "ftdi_serial": "BMSEMU01"}' "$W/b.json"
check "bench run: JUnit has bench and ftdi_serial properties" \
    sh -c "grep -q '<property name=\"bench\" value=\"emulated\"/>' '$W/b.xml' &&
           grep -q '<property name=\"ftdi_serial\" value=\"BMSEMU01\"/>' '$W/b.xml'"

# A merged report validates too (shards of the same selection).
"$BMSRIG" run -q --seed 11 --shard 1/2 --json "$W/m1.json" "$W/s" >/dev/null 2>&1
"$BMSRIG" run -q --seed 11 --shard 2/2 --json "$W/m2.json" "$W/s" >/dev/null 2>&1
"$BMSRIG" report merge "$W/m.json" "$W/m1.json" "$W/m2.json" >/dev/null
validate "$W/m1.json" "$W/m.json"; rc=$?
check "a shard's and the merged JSON validate (exit $rc)" test $rc -eq 0

# Broken documents must fail: the schema is not a rubber stamp.
broken() {  # broken WHAT JQ_EDIT
    jq "$2" "$W/v.json" >"$W/broken.json"
    validate "$W/broken.json"; rc=$?
    check "broken ($1): rejected (exit $rc)" test $rc -eq 1
}
broken "no counts" 'del(.counts)'
broken "an unknown verdict" '.scenarios[0].verdict = "passed"'
broken "the seed as a string" '.seed = "11"'
broken "an unknown top-level key" '.benchname = "x"'
broken "a measurement without its unit" 'del(.scenarios[] | select(.measurements | length > 0) | .measurements[0].unit)'
broken "an empty bench object" '.bench = {}'
broken "a firmware version that is no version" '.dut.firmware_version = "unknown"'
broken "an unknown version source" '.dut.firmware_version_source = "guessed"'
broken "a bad timestamp" '.timestamp = "yesterday"'
check "the validator says where" grep -q 'broken.json: timestamp: ' "$W/v.out"

# Faults in JUnit: a property and a system-out line per set and clear; with --suppress-faults
# the faults kept off (fault_suppressed), in JSON too (faults_suppressed); all still valid.
mkdir -p "$W/f"
cat >"$W/f/f.lua" <<'LUA'
return scenario { name = "cuts and restores the line", run = function(t)
  t:power_on(); t:wait(0.2); t:fault("bms_tx", 1); t:wait(0.3); t:clear("bms_tx"); t:wait(0.1)
end }
LUA
"$BMSRIG" run -q --junit "$W/f.xml" --json "$W/f.json" "$W/f" >/dev/null 2>&1
check "faults: JUnit validates against junit-10.xsd" \
    xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/f.xml"
check "faults: a JUnit property per set and clear" \
    test "$(grep -c '<property name="fault" ' "$W/f.xml")" -eq 2
check "... set at 0.2 s and cleared at 0.5 s" \
    sh -c "grep -q 'name=\"fault\" value=\"0.200 s set bms_tx: 1\"' '$W/f.xml' &&
           grep -q 'name=\"fault\" value=\"0.500 s clear bms_tx\"' '$W/f.xml'"
check "... and a system-out line each" \
    test "$(grep -c '\[ *0\.[25]00 s\] fault \(set\|clear\) bms_tx' "$W/f.xml")" -eq 2
"$BMSRIG" run -q --suppress-faults --junit "$W/fs.xml" --json "$W/fs.json" "$W/f" >/dev/null 2>&1
check "--suppress-faults: JUnit validates" \
    xmllint --noout --schema "$SRC/tests/data/junit-10.xsd" "$W/fs.xml"
check "--suppress-faults: JUnit lists the faults kept off, none as applied" \
    sh -c "test \$(grep -c 'name=\"fault_suppressed\"' '$W/fs.xml') -eq 2 &&
           ! grep -q 'name=\"fault\"' '$W/fs.xml' && grep -q 'fault SUPPRESSED' '$W/fs.xml'"
check "--suppress-faults: JSON faults_suppressed has them, faults is empty" \
    jqe '.scenarios[0] | (.faults == []) and ([.faults_suppressed[] | .action] == ["set", "clear"])' "$W/fs.json"
validate "$W/fs.json"
check "--suppress-faults: the JSON validates" test $? -eq 0
finish
