"""The Python side of examples/seed.rs, as the pickle tutorial writes it.

    python3 examples/seed.py write test.pkl   # then: cargo run --example seed --features numpy -- read test.pkl
    python3 examples/seed.py read test.pkl    # after: cargo run --example seed --features numpy -- write test.pkl
"""
import pickle
import sys

import numpy as np


class Example:
    def __init__(self):
        self.a = 1
        self.b = 2.0
        self.c = np.array([[3.0, 4.0]])


def main():
    cmd, path = sys.argv[1:3]
    if cmd == "write":
        with open(path, "wb") as f:
            pickle.dump(Example(), f)
    elif cmd == "read":
        with open(path, "rb") as f:
            example = pickle.load(f)
        print(example.a)
        print(example.b)
        print(example.c)
    else:
        raise SystemExit("usage: seed.py write|read FILE")


if __name__ == "__main__":
    main()
