#!/bin/sh
# test_fw_version.sh BMSRIG IMAGE SRC: the device under test's firmware version in the run
# metadata (issue 13): the dashboard model reads word 0x1A from the firmware image over its bus,
# and the JSON report (dut.firmware_version, validated against docs/run-report.schema.json) and
# the JUnit properties carry what it read: 9.0.1 for our image (hw/esc-fw), 1.3.4 for the stock
# image BMSRIG_STOCK_FW names (checked only when it is set); absent when the controller never
# answered (never powered on). Skips (77) when our image was not built.
set -u
. "$(dirname "$0")/../cli/lib.sh"
lib_init "$1"
IMAGE=$2
SRC=$3
[ -s "$IMAGE" ] || skip "$IMAGE not built (arm-none-eabi-gcc missing)"
schema="$SRC/docs/run-report.schema.json"

mkdir -p "$W/on" "$W/off"
cat >"$W/on/on.lua" <<'LUA'
return scenario { name = "powered for 1.5 s", run = function(t)
  t:power_on(); t:wait(1.5) end }
LUA
cat >"$W/off/off.lua" <<'LUA'
return scenario { name = "never powered", run = function(t) t:wait(1.5) end }
LUA

# version_of IMAGE LABEL WANT: one run on IMAGE; its reports carry WANT, read from the image
version_of() {
    img=$1 label=$2 want=$3
    "$BMSRIG" run -q --firmware "$img" --json "$W/$label.json" --junit "$W/$label.xml" \
        "$W/on" >"$W/$label.out" 2>&1
    check "$label: the run passes" jqe '.counts.pass == 1' "$W/$label.json"
    check "$label: JSON dut.firmware_version is $want, read from the firmware image" \
        jqe ".dut.firmware_version == \"$want\" and .dut.firmware_version_source == \"firmware image\"
             and .dut.firmware_image == \"$img\"" "$W/$label.json"
    check "$label: JUnit property dut_firmware_version = $want" \
        has "<property name=\"dut_firmware_version\" value=\"$want\"/>" "$W/$label.xml"
    check "$label: JUnit property dut_firmware_version_source = firmware image" \
        has '<property name="dut_firmware_version_source" value="firmware image"/>' "$W/$label.xml"
    python3 "$SRC/tests/report/validate_report.py" "$schema" "$W/$label.json" >"$W/v.out" 2>&1
    check "$label: the JSON validates against the schema" test $? -eq 0
}

version_of "$IMAGE" ours 9.0.1

"$BMSRIG" run -q --firmware "$IMAGE" --json "$W/off.json" --junit "$W/off.xml" "$W/off" \
    >/dev/null 2>&1
check "never powered: no version in the JSON (none was read), the image still named" \
    jqe '(.dut | has("firmware_version") | not) and .dut.firmware_image != null' "$W/off.json"
check "never powered: no dut_firmware_version property" \
    not grep -q 'name="dut_firmware_version' "$W/off.xml"

if [ -n "${BMSRIG_STOCK_FW:-}" ] && [ -s "$BMSRIG_STOCK_FW" ]; then
    version_of "$BMSRIG_STOCK_FW" stock 1.3.4
else
    echo "# BMSRIG_STOCK_FW unset: the stock image's version (1.3.4) is not checked"
fi
finish
