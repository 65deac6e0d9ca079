#!/bin/sh
# test_decode.sh BMSRIG FIXTURES: `bmsrig decode` end to end on the bundled recordings.
set -u
. "$(dirname "$0")/lib.sh"
lib_init "$1"
fx=$2

"$BMSRIG" decode "$fx/captures/m365_esc_bms_powerup.csv" >"$W/two_way.txt"
check "decode exits 0 on the two-way recording" test $? -eq 0
check "two-way recording: 138 valid frames, 2 bad checksums" \
    grep -q '^frames: 138 valid, 2 bad (2 bad checksum, 0 bad length, 0 truncated)' "$W/two_way.txt"
check "the reply of 2.4970 s is decoded with names and units" \
    grep -q 'BMS->ESC  read-reply 0x30 status=0x0001\[config_valid\] remaining=3697mAh soc=47% current=+0.03A voltage=35.94V t1=23C t2=23C' "$W/two_way.txt"
check "the serial reply is decoded" grep -q 'serial="3JAGJ17A8D3660" fw=0x0115' "$W/two_way.txt"
check "the cut frames show found and expected checksums" \
    grep -q 'BAD       checksum 9D 00, expected 9D FF' "$W/two_way.txt"

"$BMSRIG" decode "$fx/captures/m365_esc_no_bms_reply.csv" >"$W/no_reply.txt"
# The decoded recording holds 500 of the 501 requests (its header notes a decoding gap).
check "no-reply recording: every decoded request is valid" grep -q "^frames: 500 valid, 0 bad" "$W/no_reply.txt"

"$BMSRIG" decode --json "$fx/captures/m365_esc_bms_powerup.csv" >"$W/two_way.json"
check "--json summary counts" grep -q '"summary":{"frames":138,"bad":2,' "$W/two_way.json"
check "--json output parses, 140 frame entries" test "$(jq '.frames | length' "$W/two_way.json")" = 140
check "--json serial text is the bare serial" test "$(jq -r '[.frames[] | select(.ok and .fields.serial)][0].fields.serial.text' "$W/two_way.json")" = 3JAGJ17A8D3660
check "--json names registers" test "$(jq -r '.frames[] | select(.ok and .kind == "read-reply" and .arg == 48) | .fields.voltage.value' "$W/two_way.json" | head -n 1)" = 35.94

# Hex text on standard input: one continuous stream with garbage, and the wrong-checksum frame.
# A hex-text file whose leading comment is longer than any fixed line buffer (with a comma past
# character 512): the format sniffer reads the comment whole and still sees hex, not CSV.
long=$(awk 'BEGIN { while (n++ < 600) printf "x" }')
printf '# %s, a long note\n55AA0322011010B9FF\n' "$long" >"$W/long_comment.hex"
"$BMSRIG" decode "$W/long_comment.hex" >"$W/long_comment.txt" 2>&1
check "hex file with a 600-character comment decodes as hex (exit $?)" \
    grep -q '^frames: 1 valid, 0 bad' "$W/long_comment.txt"
printf '00 55 55AA0322011010B9FF 55AA0E2501300100000000000000E100282891FE\n' | "$BMSRIG" decode - >"$W/hex.txt"
check "hex stream: one valid frame" grep -q '^frames: 1 valid, 1 bad' "$W/hex.txt"
check "hex stream: expected checksum 69 FE" grep -q 'checksum 91 FE, expected 69 FE' "$W/hex.txt"

# Raw bytes.
printf '\125\252\003\042\001\060\014\235\377' >"$W/raw.bin"
"$BMSRIG" decode --raw "$W/raw.bin" >"$W/raw.txt"
check "raw input decodes" grep -q 'ESC->BMS  read 0x30 12 bytes' "$W/raw.txt"

# A capture CSV through a pipe (a FIFO or <(...)): the format sniffing must not eat a row.
mkfifo "$W/fifo"
printf '0.1,esc_tx,55aa032201300c9dff,ok,\n0.2,esc_tx,55aa032201300c9dff,ok,\n' >"$W/fifo" &
"$BMSRIG" decode "$W/fifo" >"$W/fifo.txt"
check "CSV from a FIFO: both rows decoded" grep -q '^frames: 2 valid, 0 bad' "$W/fifo.txt"
wait

# Bad input: file:line and exit 2.
printf '# test\nt_s,line,frame_hex,check,note\n1.0,esc_tx,55zz,ok,\n' >"$W/bad.csv"
"$BMSRIG" decode "$W/bad.csv" >/dev/null 2>"$W/bad.err"
check "malformed row exits 2" test $? -eq 2
check "malformed row names file:line" grep -q "bad.csv:3: frame_hex is not hex text" "$W/bad.err"
# Times JSON cannot carry (nan, inf) and negative times are bad input, never bare tokens.
for t in nan inf -inf -0.5; do
    printf 't_s,line,frame_hex,check,note\n%s,esc_tx,55aa0322011010b9ff,ok,\n' "$t" >"$W/time.csv"
    "$BMSRIG" decode --json "$W/time.csv" >"$W/time.json" 2>"$W/time.err"
    check "time '$t' exits 2" test $? -eq 2
    check "time '$t' names file:line" grep -q "time.csv:2: time '$t' must be a finite" "$W/time.err"
    check "time '$t' prints no nan/inf token" sh -c "! grep -qi 'nan\|inf' '$W/time.json'"
done
"$BMSRIG" decode /nonexistent/file >/dev/null 2>&1
check "missing file exits 2" test $? -eq 2
"$BMSRIG" decode "$W" >/dev/null 2>"$W/dir.err"
check "a directory (unreadable input) exits 2" test $? -eq 2
check "a directory is reported by name" grep -q "$W" "$W/dir.err"
"$BMSRIG" decode --csv "$W" >/dev/null 2>&1
check "a directory as --csv exits 2" test $? -eq 2

# A bus log as bmsrig writes it (rig/line/buslog.h): frames lost to a cut wire, one that arrived
# with flipped bits, a garbage burst, a delayed reply. decode lists each with its fault and the
# summary counts them; --json carries the same.
cat >"$W/faulted.csv" <<'CSV'
# bus log with fault marks
t_s,line,frame_hex,check,note
1.000000,esc_tx,55aa032201300c9dff,ok,
1.001000,bms_tx,55aa0e2501300100710e2f0000000a0e2b2b7efe,bms_tx_open,rx=none
1.210000,esc_tx,55aa032201300c9dff,ok,
1.211000,bms_tx,55aa0e2501300100710e2f0000000a0e2b2b7efe,bit_errors,rx=55aa0e2501300100710e2f0000000a0e2b2a7efe
1.420000,esc_tx,55aa032201300c9dff,esc_tx_open,rx=none
1.630000,bms_tx,0102030405,garbage,
1.631000,bms_tx,55aa0e2501300100710e2f0000000a0e2b2b7efe,reply_delay,delay_s=0.500000
CSV
"$BMSRIG" decode "$W/faulted.csv" >"$W/faulted.txt"
check "bus log: decode exits 0" test $? -eq 0
check "bus log: a cut reply is listed as never received" \
    grep -q '^  1.001000 bms_tx  BMS->ESC  read-reply 0x30 .* \[bms_tx_open: never received\]$' "$W/faulted.txt"
check "bus log: an unheard poll is listed as never received" \
    grep -q '^  1.420000 esc_tx  ESC->BMS  read 0x30 12 bytes \[esc_tx_open: never received\]$' "$W/faulted.txt"
check "bus log: what arrived instead of a flipped reply is decoded under it" \
    grep -A1 '1.211000 bms_tx .*\[bit_errors: arrived altered, 20 bytes\]' "$W/faulted.txt" | grep -q '^ *received: BAD       checksum 7E FE, expected 7F FE'
check "bus log: the garbage burst is shown" grep -q '1.630000 bms_tx  GARBAGE   5 bytes: 0102030405 \[garbage\]' "$W/faulted.txt"
check "bus log: the delayed reply says by how much" grep -q '1.631000 .*\[reply_delay +0.500 s\]$' "$W/faulted.txt"
check "bus log: the summary counts the faults" \
    grep -qx 'faults: 2 never received, 1 arrived altered (1 esc_tx_open, 1 bms_tx_open, 1 garbage, 1 reply_delay, 1 bit_errors)' "$W/faulted.txt"
"$BMSRIG" decode --json "$W/faulted.csv" >"$W/faulted.json"
check "bus log --json: not_received and received_altered in the summary" \
    test "$(jq -c '[.summary.not_received, .summary.received_altered, .summary.faults.bms_tx_open]' "$W/faulted.json")" = '[2,1,1]'
check "bus log --json: each frame carries its marks and fate" \
    test "$(jq -c '[.frames[] | [.marks[0] // "ok", .received]]' "$W/faulted.json")" = '[["ok","as_sent"],["bms_tx_open","none"],["ok","as_sent"],["bit_errors","altered"],["esc_tx_open","none"],["garbage","as_sent"],["reply_delay","as_sent"]]'
check "bus log --json: the altered reply's received bytes" \
    test "$(jq -r '.frames[3].received_hex' "$W/faulted.json")" = 55aa0e2501300100710e2f0000000a0e2b2a7efe
printf 't_s,line,frame_hex,check,note\n1.0,bms_tx,55aa,bms_tx_open,rx=zz\n' >"$W/badnote.csv"
"$BMSRIG" decode "$W/badnote.csv" >/dev/null 2>"$W/badnote.err"
check "bus log: a malformed rx= note is bad input (exit 2, file:line)" \
    sh -c "test $? -eq 2 && grep -q 'badnote.csv:2: note rx=' '$W/badnote.err'"
"$BMSRIG" decode --pcap "$W/faulted.pcap" --json "$W/faulted.csv" >/dev/null 2>&1
check "--pcap with --json is a usage error" test $? -eq 2

# Hex lines with a time (and wire) column: the listing and the pcap carry them; without one,
# every packet is at 0 s on the wire its address implies.
pcap_records() { # pcap_records FILE: "SECONDS WIRE" per packet (pcap us timestamps, wire byte 1)
    python3 - "$1" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read()
off = 24
while off + 16 <= len(d):
    sec, usec, caplen, _ = struct.unpack_from("<IIII", d, off)
    print("%.6f %d" % (sec + usec / 1e6, d[off + 16 + 1]))
    off += 16 + caplen
PY
}
printf '# from a logic-analyser export\n1.882315 esc_tx 55aa0322011010b9ff\n1.897288 55aa03220110\n10b9ff\n0.500000 bms_tx 55aa0322011010b9ff\n' >"$W/stamped.hex"
"$BMSRIG" decode "$W/stamped.hex" >"$W/stamped.txt"
check "hex with a time column: the listing shows each frame's time and wire" \
    sh -c "grep -q '^ *1.882315 esc_tx  ESC->BMS' '$W/stamped.txt' && grep -q '^ *0.500000 bms_tx' '$W/stamped.txt'"
"$BMSRIG" decode --pcap "$W/stamped.pcap" "$W/stamped.hex" >/dev/null
pcap_records "$W/stamped.pcap" >"$W/stamped.rec"
check "hex with a time column: the pcap keeps the stamps; a frame split over lines has the stamp it was given; a named wire wins over the address" \
    sh -c "printf '1.882315 0\n1.897288 0\n0.500000 1\n' | cmp -s - '$W/stamped.rec'"
[ "$fails" -eq 0 ] || cat "$W/stamped.txt" "$W/stamped.rec"
printf '55aa0322011010b9ff\n55aa0e2501300100710e2f0000000a0e2b2a7efe\n' >"$W/plain.hex"
"$BMSRIG" decode --pcap "$W/plain.pcap" "$W/plain.hex" >/dev/null
pcap_records "$W/plain.pcap" >"$W/plain.rec"
check "hex without times: every packet at 0 s, wire from the address (0x22 esc_tx, 0x25 bms_tx)" \
    sh -c "printf '0.000000 0\n0.000000 1\n' | cmp -s - '$W/plain.rec'"
printf -- '-1.5 55aa0322011010b9ff\n' >"$W/negative.hex"
expect_exit 2 "hex: a negative time is bad input" "$BMSRIG" decode "$W/negative.hex"
check "... named by file:line" has "negative.hex:1: the time column" "$W/err"
"$BMSRIG" decode --help >"$W/dhelp"
check "decode --help says what --pcap does without stamps" has "packet is at time 0" "$W/dhelp"
check "decode --help documents the time column" has "'T_S \[WIRE\] HEX'" "$W/dhelp"

finish
