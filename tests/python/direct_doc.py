"""Writes, for tests/direct.rs, a document of plain dicts holding instances of
a class `shop.Item`, pickled by CPython at protocols 2 to 5: for each, a
4-byte little-endian length, then the pickle."""
import pickle
import struct
import sys

from made_up import place


class Item:
    pass


place(Item, "shop")


def item(i):
    it = Item()
    it.id = i
    it.name = f"item-{i}"
    it.tags = [i, i * 1000, -i]
    it.counts = {"x": i, "y": -i}
    it.price = i / 4 if i % 2 == 0 else None
    it.stock = 7
    return it


doc = {
    "version": 3,
    "items": [item(i) for i in range(1500)],
    "grid": [[], [1], [1, 2], list(range(2500))],
    "names": ["a", "é", "", "a"],
    "flags": {"off": False, "on": True},
}
out = sys.stdout.buffer
for protocol in range(2, 6):
    data = pickle.dumps(doc, protocol=protocol)
    out.write(struct.pack("<I", len(data)) + data)
