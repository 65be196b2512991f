"""Writes, for tests/direct.rs, a list of instances of `shop.Slotted`, a
dataclass with `slots=True`, pickled by CPython at protocols 2 to 5 (the
state `(None, slots)`): for each, a 4-byte little-endian length, then the
pickle."""
import dataclasses
import pickle
import struct
import sys

from made_up import place


@dataclasses.dataclass(slots=True)
class Slotted:
    x: int
    y: str


place(Slotted, "shop")

out = sys.stdout.buffer
for protocol in range(2, 6):
    data = pickle.dumps([Slotted(1, "a"), Slotted(2, "b")], protocol=protocol)
    out.write(struct.pack("<I", len(data)) + data)
