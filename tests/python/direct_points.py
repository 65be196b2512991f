"""Writes, for tests/direct.rs, a plain dict holding instances of a
namedtuple `shop.Point`, pickled by CPython at protocols 0 to 5: for each,
a 4-byte little-endian length, then the pickle."""
import collections
import pickle
import struct
import sys

from made_up import place

Point = place(collections.namedtuple("Point", "x y"), "shop")

track = {"id": 7, "points": [Point(1.0, 2.0), Point(3.0, -4.0)], "label": b"ab"}

out = sys.stdout.buffer
for protocol in range(0, 6):
    data = pickle.dumps(track, protocol=protocol)
    out.write(struct.pack("<I", len(data)) + data)
