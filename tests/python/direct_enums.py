"""Writes, for tests/direct.rs, an instance of a class `shop.Palette` whose
attributes are members of `enum.Enum` classes, one member several times
(the second time on, a GET), pickled by CPython at protocols 0 to 5: for
each, a 4-byte little-endian length, then the pickle."""
import enum
import pickle
import struct
import sys

from made_up import place


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


class Palette:
    pass


for cls in (Color, Mode, Palette):
    place(cls, "shop")

palette = Palette()
palette.main = Color.RED
palette.colors = [Color.RED, Color.GREEN, Color.RED]
palette.mode = Mode.SLOW
palette.modes = {"a": Mode.FAST, "b": Mode.SLOW}

out = sys.stdout.buffer
for protocol in range(0, 6):
    data = pickle.dumps(palette, protocol=protocol)
    out.write(struct.pack("<I", len(data)) + data)
