"""Writes, for tests/direct.rs, an instance of a class `shop.Shapes` whose
attributes are tuples of several lengths, fixed-size sequences, floats and
one-character strs, pickled by CPython at protocols 0 to 5: for each, a
4-byte little-endian length, then the pickle."""
import pickle
import struct
import sys

from made_up import place


class Shapes:
    pass


place(Shapes, "shop")

shapes = Shapes()
shapes.pair = (1, "a")
shapes.triple = (1.5, None, [1, 2])
shapes.quad = (1, 2, 3, -4)
shapes.single = ("s",)
shapes.point = (1.0, 2.0, 3.0)
shapes.corner = [0, 7]
shapes.ratio = 0.1
shapes.small = 3
shapes.letter = "é"
shapes.label = "lbl"
shapes.boxed = (1, 2)
shapes.queue = [3, 4]
shapes.names = ["x", "y"]
shapes.nothing = None
shapes.pairs = [("a", 1), ("b", 2)]

out = sys.stdout.buffer
for protocol in range(0, 6):
    data = pickle.dumps(shapes, protocol=protocol)
    out.write(struct.pack("<I", len(data)) + data)
