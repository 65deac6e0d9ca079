#!/bin/sh
# test_dissector.sh BMSRIG REGMAP_LUA SOURCE_DIR: `bmsrig decode --pcap` read back by Debian's
# tshark with hw/wireshark/m365_bus.lua: every packet's wire, fault marks, address, register
# word, checksum verdict and register values must match `bmsrig decode --json` (compare.py);
# corrupted checksums must come out Bad, including one corrupted here in the pcap itself; the
# dissector's register table must be the one sim/regmap.c holds.
set -u
BMSRIG=$1
REGMAP_LUA=$2
SRC=$3
LUA="$SRC/hw/wireshark/m365_bus.lua"
HERE="$SRC/tests/wireshark"
TSHARK=${TSHARK:-tshark}
command -v "$TSHARK" >/dev/null 2>&1 || { echo "SKIP: tshark is not installed (scripts/install-deps)"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is not installed (scripts/install-deps)"; exit 77; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
fail=0
check() { # check DESCRIPTION COMMAND...
    desc=$1; shift
    if "$@"; then echo "ok - $desc"; else echo "not ok - $desc"; fail=1; fi
}
tshark_json() { # tshark_json PCAP OUT: the dissected packets as JSON; a Lua error fails
    "$TSHARK" -X lua_script:"$LUA" -r "$1" -T json >"$2" 2>"$2.err"
    rc=$?
    if [ $rc -ne 0 ] || grep -qi 'lua' "$2.err"; then cat "$2.err"; return 1; fi
}

# 1. The register table inside the dissector is sim/regmap.c's.
sed -n '/^-- BEGIN regmap/,/^-- END regmap/p' "$LUA" | sed '1d;$d' >"$W/lua_block"
"$REGMAP_LUA" >"$W/c_block"
check "the dissector's register table matches sim/regmap.c (regenerate with regmap_lua)" \
    diff -u "$W/c_block" "$W/lua_block"

# 2. Every register of both maps, requests and a bad checksum, from hex text.
python3 "$HERE/make_frames.py" >"$W/all.hex"
"$BMSRIG" decode --pcap "$W/all.pcap" "$W/all.hex" >"$W/all.out"
check "decode --pcap exits 0 on hex text" test $? -eq 0
check "decode --pcap reports the packets written" grep -q '^pcap: 7 packets written to' "$W/all.out"
"$BMSRIG" decode --json "$W/all.hex" >"$W/all.json"
check "tshark reads the pcap with the dissector" tshark_json "$W/all.pcap" "$W/all.tshark.json"
python3 "$HERE/compare.py" "$W/all.json" "$W/all.tshark.json" >"$W/all.cmp"; rc=$?
cat "$W/all.cmp"
check "tshark decodes every register as bmsrig decode does" test $rc -eq 0
nregs=$(grep -c 'name = ' "$W/c_block")
check "all $nregs registers of both maps were compared" grep -q "frames=6 bad_checksum=1 fields=$nregs " "$W/all.cmp"

# 3. Bus logs of runs with faults: corrupted checksums, bit errors and garbage, a cut wire.
"$BMSRIG" run -q --trace "$W/tr" "$SRC/scripts/comm/corrupt_checksums.lua" \
    "$SRC/scripts/comm/moisture_connector.lua" "$SRC/scripts/comm/bms_tx_cut_riding.lua" >/dev/null
check "the fault scenarios ran" test $? -eq 0
for s in corrupt_checksums moisture_connector bms_tx_cut_riding; do
    "$BMSRIG" decode --pcap "$W/$s.pcap" "$W/tr/$s.bus.csv" >/dev/null
    "$BMSRIG" decode --json "$W/tr/$s.bus.csv" >"$W/$s.json"
    check "$s: tshark reads its pcap" tshark_json "$W/$s.pcap" "$W/$s.tshark.json"
    python3 "$HERE/compare.py" "$W/$s.json" "$W/$s.tshark.json" >"$W/$s.cmp"; rc=$?
    cat "$W/$s.cmp"
    check "$s: tshark and bmsrig decode agree on every packet" test $rc -eq 0
done
want=$(jq '.summary.bad_checksum' "$W/corrupt_checksums.json")
check "corrupt_checksums: tshark finds all $want corrupted checksums bad" \
    grep -q "bad_checksum=$want " "$W/corrupt_checksums.cmp"
check "corrupt_checksums: there were corrupted checksums to find" test "$want" -gt 10
check "bms_tx_cut_riding: the cut replies carry bms_tx_open" \
    sh -c "'$TSHARK' -X lua_script:'$LUA' -r '$W/bms_tx_cut_riding.pcap' -Y 'bmsrig_bus.marks.bms_tx_open == 1' 2>/dev/null | grep -c 'never received' | grep -qx 25"

# 4. A checksum corrupted in the pcap file itself (the first BMS reply's last byte) is Bad.
python3 - "$W/bms_tx_cut_riding.pcap" "$W/flipped.pcap" <<'PY' >"$W/flipped.no"
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
off, n = 24, 0
while off < len(data):
    n += 1
    caplen = struct.unpack_from("<I", data, off + 8)[0]
    rec = off + 16
    if data[rec + 1] == 1 and data[rec + 4] == 0:      # bms_tx, received as sent
        nsent = struct.unpack_from("<H", data, rec + 6)[0]
        data[rec + 12 + nsent - 1] ^= 0x40
        break
    off = rec + caplen
open(sys.argv[2], "wb").write(data)
print(n)
PY
no=$(cat "$W/flipped.no")
status=$("$TSHARK" -X lua_script:"$LUA" -r "$W/flipped.pcap" -Y "frame.number == $no" \
         -T fields -e m365.checksum.status 2>/dev/null)
check "a checksum flipped inside the pcap (packet $no) is reported Bad, not Good" test "$status" = 0
status=$("$TSHARK" -X lua_script:"$LUA" -r "$W/bms_tx_cut_riding.pcap" -Y "frame.number == $no" \
         -T fields -e m365.checksum.status 2>/dev/null)
check "... and Good before the flip" test "$status" = 1
exit $fail
