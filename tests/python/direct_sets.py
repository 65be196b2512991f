"""Writes, for tests/direct.rs, an instance of a class `shop.Sets` whose
attributes are sets and frozensets, pickled by CPython at protocols 0 to 5:
for each, a 4-byte little-endian length, then the pickle."""
import pickle
import struct
import sys

from made_up import place


class Sets:
    pass


place(Sets, "shop")

sets = Sets()
sets.small = {1, 2, 3}
sets.empty = set()
sets.names = frozenset({"a", "b"})
sets.none = frozenset()
# More than one ADDITEMS batch of 1,000.
sets.many = set(range(2500))
sets.pairs = {(1, "a"), (2, "b")}

out = sys.stdout.buffer
for protocol in range(0, 6):
    data = pickle.dumps(sets, protocol=protocol)
    out.write(struct.pack("<I", len(data)) + data)
