#!/usr/bin/env python3
"""Print how much of a PNG screenshot is not background: "WIDTH HEIGHT
INKED_FRACTION COLOURS".  The standard library only (zlib): decodes 8-bit
RGB/RGBA/grey PNGs, non-interlaced, as Chromium writes them."""
import struct
import sys
import zlib


def rows(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise SystemExit("not a PNG: %s" % path)
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace or ctype not in (0, 2, 6):
                raise SystemExit("unsupported PNG (depth %d, type %d)" % (depth, ctype))
            bpp = {0: 1, 2: 3, 6: 4}[ctype]
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, prev = zlib.decompress(idat), w * bpp, bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        prev = line
        yield w, h, bpp, line


inked, total, colours = 0, 0, set()
for w, h, bpp, line in rows(sys.argv[1]):
    for x in range(0, w, 4):  # every 4th pixel is plenty
        px = tuple(line[x * bpp:x * bpp + min(bpp, 3)])
        total += 1
        if min(px) < 235:
            inked += 1
        if len(colours) < 4096:
            colours.add(px)
print(w, h, "%.4f" % (inked / total), len(colours))
