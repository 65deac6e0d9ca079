#!/usr/bin/env python3
"""compare.py DECODE_JSON TSHARK_JSON: checks, packet by packet, that tshark with the shipped
dissector (hw/wireshark/m365_bus.lua) decodes a `bmsrig decode --pcap` file as `bmsrig decode
--json` decodes its input: wire, fault marks and fate, address, command, register word,
checksum verdict and every register's raw value. One packet is one input row (capture CSV) or
one decoded event (hex text); the first decoder event of each row is its packet's frame.

Prints "packets=N frames=F bad_checksum=B fields=K lost=L altered=A" and exits 0 when all
agree, else prints each disagreement and exits 1."""
import json
import sys

MARKS = ["esc_tx_open", "bms_tx_open", "corrupt_checksum", "truncate", "garbage",
         "reply_delay", "bit_errors", "bad_checksum", "bad_length", "truncated"]
WIRES = {"esc_tx": 0, "bms_tx": 1, "dash_tx": 2, "dash_rx": 3}
RECEIVED = {"as_sent": 0, "none": 1, "altered": 2}


def flatten(obj, out):
    """All "name": "value" leaves of a tshark JSON layer tree (first value of a name wins)."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                flatten(v, out)
            else:
                out.setdefault(k, v)
    elif isinstance(obj, list):
        for v in obj:
            flatten(v, out)
    return out


def num(text):
    return int(text, 16) if text.startswith("0x") else int(text)


def main():
    decoded = json.load(open(sys.argv[1]))
    packets = json.load(open(sys.argv[2]))
    by_row = []
    seen = {}
    for ev in decoded["frames"]:
        key = ev.get("input_line")
        if key is None or key not in seen:
            seen[key] = True
            by_row.append(ev)
    errors = []
    if len(by_row) != len(packets):
        errors.append("decode has %d rows/events, tshark %d packets" % (len(by_row), len(packets)))
    frames = bad = fields = lost = altered = 0
    for i, (ev, pkt) in enumerate(zip(by_row, packets)):
        got = flatten(pkt["_source"]["layers"], {})
        where = "packet %d (input line %s)" % (i + 1, ev.get("input_line"))

        def expect(name, want, have):
            if want != have:
                errors.append("%s: %s: decode %r, tshark %r" % (where, name, want, have))

        if "line" in ev:
            expect("wire", WIRES.get(ev["line"], 255), num(got.get("bmsrig_bus.wire", "-1")))
        if "marks" in ev:
            bits = sum(1 << MARKS.index(m) for m in ev["marks"])
            expect("marks", bits, num(got.get("bmsrig_bus.marks", "-1")))
            expect("received", RECEIVED[ev["received"]], num(got.get("bmsrig_bus.received", "-1")))
            lost += ev["received"] == "none"
            altered += ev["received"] == "altered"
            if ev["received"] == "altered":
                expect("received bytes", ev["received_hex"],
                       got.get("bmsrig_bus.received_bytes", "").replace(":", ""))
        if ev.get("error") == "garbage":
            expect("garbage", True, "m365.garbage" in got)
            continue
        status = got.get("m365.checksum.status")
        if ev["ok"] or ev.get("error") == "bad_checksum":
            # a complete frame: tshark must give the same verdict on its checksum
            expect("checksum status", 1 if ev["ok"] else 0, None if status is None else num(status))
            if not ev["ok"]:
                bad += 1
                expect("checksum expected", int(ev["checksum_expected"][2:] + ev["checksum_expected"][:2], 16),
                       num(got.get("m365.checksum.calculated", "-1")))
        else:
            expect("no checksum verdict on a %s frame" % ev["error"], None, status)
        if not ev["ok"]:
            continue
        frames += 1
        expect("addr", ev["addr"], num(got.get("m365.addr", "-1")))
        expect("cmd", ev["cmd"], num(got.get("m365.cmd", "-1")))
        expect("arg", ev["arg"], num(got.get("m365.arg", "-1")))
        if "read_bytes" in ev:
            expect("read_bytes", ev["read_bytes"], num(got.get("m365.read_bytes", "-1")))
        prefix = "m365.bms." if ev["addr"] in (0x22, 0x25) else "m365.esc."
        for name, f in ev["fields"].items():
            key = prefix + name
            fields += 1
            if key not in got:
                errors.append("%s: register %s missing from tshark" % (where, name))
                continue
            if "raw" in f:
                expect(name, f["raw"], num(got[key]))
            elif "t1_c" in f:
                expect(name + ".t1", f["t1_c"], num(got[key + ".t1"]))
                expect(name + ".t2", f["t2_c"], num(got[key + ".t2"]))
            elif name == "date":
                raw = num(got[key])
                text = "%04d-%02d-%02d" % (2000 + (raw >> 9), (raw >> 5) & 0xF, raw & 0x1F)
                expect(name, f["text"], text)
            else:
                expect(name, f["text"], got[key])
    print("packets=%d frames=%d bad_checksum=%d fields=%d lost=%d altered=%d"
          % (len(packets), frames, bad, fields, lost, altered))
    for e in errors[:40]:
        print("MISMATCH " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
