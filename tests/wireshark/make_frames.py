#!/usr/bin/env python3
"""make_frames.py: writes hex text (one 55 AA frame a line) whose read replies cover every
register of the BMS and ESC maps, plus requests and one frame with a wrong checksum, for
`bmsrig decode --pcap` and tshark to decode side by side. Seeded: the same file every run."""
import random
import sys

rng = random.Random(12)


def frame(addr, cmd, arg, payload, good=True):
    body = bytes([len(payload) + 2, addr, cmd, arg]) + bytes(payload)
    ck = (sum(body) & 0xFFFF) ^ 0xFFFF
    if not good:
        ck ^= 0x0101
    return bytes([0x55, 0xAA]) + body + bytes([ck & 0xFF, ck >> 8])


def data(nbytes, ascii_spans):
    b = bytearray(rng.randrange(256) for _ in range(nbytes))
    for start, n in ascii_spans:
        for i in range(n):
            b[start + i] = rng.choice(b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789")
    return b


out = []
out.append(frame(0x22, 0x01, 0x30, [12]))
out.append(frame(0x25, 0x01, 0x00, [0x5A, 0x5A]))
# BMS words 0x10..0x4E: serial (0x10, 14 bytes) and errors (0x21, 6 bytes) are text
out.append(frame(0x25, 0x01, 0x10, data(126, [(0, 14), (2 * (0x21 - 0x10), 6)])))
# ESC words 0x10..0x7D (esc_serial text at 0x10) and 0xB0..0xBB
out.append(frame(0x23, 0x01, 0x10, data(220, [(0, 14)])))
out.append(frame(0x23, 0x01, 0xB0, data(24, [])))
out.append(frame(0x20, 0x01, 0xB0, [0x20]))
out.append(frame(0x25, 0x01, 0x30, data(12, []), good=False))
sys.stdout.write("".join(f.hex() + "\n\n" for f in out))
