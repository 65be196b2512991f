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

NAMESPACE = {
    "collections": collections,
    "datetime": datetime,
    "decimal": decimal,
    "fractions": fractions,
    "pathlib": pathlib,
    "uuid": uuid,
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
