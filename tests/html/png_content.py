#!/usr/bin/env python3
"""png_content.py: counts coloured (non-grey) pixels in a PNG screenshot, per horizontal band,
with the standard library only (zlib); exits 1 when a band holds fewer than MIN of them.

usage: png_content.py FILE.png MIN BANDS   (the image's height split into BANDS equal bands)
"""
import struct
import sys
import zlib


def read_png(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit(f"{path}: not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        raise SystemExit(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are read")
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    return width, height, bpp, rows


def main():
    path, minimum, bands = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    width, height, bpp, rows = read_png(path)
    band_h = height // bands
    failed = False
    for band in range(bands):
        coloured = 0
        for y in range(band * band_h, (band + 1) * band_h):
            line = rows[y]
            for x in range(0, width * bpp, bpp):
                r, g, b = line[x], line[x + 1], line[x + 2]
                if max(r, g, b) - min(r, g, b) > 40:
                    coloured += 1
        print(f"band {band}: {coloured} coloured pixels")
        if coloured < minimum:
            failed = True
    if failed:
        print(f"{path}: a band holds fewer than {minimum} coloured pixels (a blank plot?)")
        sys.exit(1)


main()
