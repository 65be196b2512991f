"""Pickles Python expressions at protocols 0-5, for tests/std_types.rs.

Reads a JSON list of expressions on stdin; writes a JSON list with, for each,
the list of pickle.dumps(eval(expr), protocol=p) hex strings for p in 0..5.
"""
import collections
import datetime
import decimal
import fractions
import json
import pathlib
import pickle
import sys
import uuid


class Reduce:
    """Pickles as REDUCE(cls, args), for pickles CPython reads but never writes."""

    def __init__(self, cls, *args):
        self.cls = cls
        self.args = args

    def __reduce__(self):
        return (self.cls, self.args)


def fold_bit(obj):
    """obj pickled with its protocol-4 state at every protocol: a time or
    datetime keeps its fold bit where CPython would drop it below protocol 4."""
    return Reduce(type(obj), *obj.__reduce_ex__(4)[1])


NAMESPACE = {
    "collections": collections,
    "datetime": datetime,
    "decimal": decimal,
    "fractions": fractions,
    "pathlib": pathlib,
    "uuid": uuid,
    "Reduce": Reduce,
    "fold_bit": fold_bit,
}


def main():
    exprs = json.load(sys.stdin)
    out = []
    for expr in exprs:
        obj = eval(expr, dict(NAMESPACE))
        out.append([pickle.dumps(obj, protocol=p).hex() for p in range(6)])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
