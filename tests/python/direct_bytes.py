"""Writes, for tests/direct.rs, bytes and bytearray objects pickled by CPython
at protocols 0 to 5, alone, shared, and as attributes of an instance of a
class `shop.Blob`: for each protocol, each object in the order of CASES, a
4-byte little-endian length, then the pickle."""
import pickle
import struct
import sys

from made_up import place


class Blob:
    pass


place(Blob, "shop")

# 70,000 bytes: CPython writes a payload of 64 KiB or more outside any frame.
LONG = bytes(i * 7 % 251 for i in range(70_000))


def blob():
    b = Blob()
    b.name = "blob"
    b.data = bytes(range(256))
    b.raw = LONG
    return b


shared = b"xyz"
CASES = [
    b"",
    b"ab",
    bytes(range(256)),
    LONG,
    bytearray(b"ab"),
    [shared, shared],
    blob(),
]
out = sys.stdout.buffer
for protocol in range(0, 6):
    for case in CASES:
        data = pickle.dumps(case, protocol=protocol)
        out.write(struct.pack("<I", len(data)) + data)
