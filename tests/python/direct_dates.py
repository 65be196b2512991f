"""Writes, for tests/direct.rs, naive `datetime` objects pickled by CPython
at protocols 0 to 5: for each, a 4-byte little-endian length, then the
pickle of (datetime, date, time, datetime with fold=1)."""
import datetime
import pickle
import struct
import sys

value = (
    datetime.datetime(2024, 1, 2, 3, 4, 5, 6),
    datetime.date(1999, 12, 31),
    datetime.time(23, 59, 59, 999999),
    datetime.datetime(2024, 11, 3, 1, 30, fold=1),
)
out = sys.stdout.buffer
for protocol in range(0, 6):
    data = pickle.dumps(value, protocol=protocol)
    out.write(struct.pack("<I", len(data)) + data)
