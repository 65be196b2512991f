#!/usr/bin/env python3
"""Generate the pickle benchmark workloads.

    python bench/py/generate.py DIR

Everything is deterministic (random.Random / numpy default_rng with fixed
seeds) and pickled with ``pickle.dumps(obj, protocol=5)``.  Files in DIR:

  a.pkl            list of 1,000,000 ints, random in [0, 1000)
  b.pkl            list of 100,000 bench_classes.Record(id=i, score=float,
                   name=16 ascii letters, tags=[3 ints in [0, 1_000_000)],
                   counts={"x": int, "y": int})
  c.pkl            dict of 100,000 str -> float, keys f"key{i:07d}"
  d.pkl            list of 2,000,000 distinct 32-char hex strs
  e_inband.pkl     numpy float64 array of 13,107,200 elements (100 MiB),
                   buffer in-band (BYTEARRAY8)
  e_oob.pkl/.buf   the same array with buffer_callback: the pickle, and the
                   one out-of-band buffer's raw bytes
  e_oob_small.pkl/.buf   the same for 131,072 elements (1 MiB)
  f.pkl            the app-state document described below (~10 MB)
  meta.json        {workload: {"objects": N, "description": str,
                   "bytes": len(W.pkl)}}, plus "buffer_bytes" for e_oob*.
                   objects: list items for a and d, instances for b, entries
                   for c, elements for e_*, and for f every container and
                   scalar in the tree (dict keys included), counted once per
                   occurrence.

The f document (workload "f") -- every dict has exactly these keys, in this
order, so a Rust ``#[derive(Pickle)] #[pickle(dict)]`` struct with the fields
in the same order writes the same bytes::

    Document = {
        "version":   int,              # always 3
        "generated": float,            # unix timestamp
        "settings":  Settings,
        "users":     [User, ...],      # N_USERS
        "audit":     [Audit, ...],     # N_AUDIT
    }
    Settings = {
        "theme":     str,
        "language":  str,
        "page_size": int,
        "beta":      bool,
        "limits":    Limits,
        "features":  [str, ...],       # 4 items
    }
    Limits = {
        "max_users":    int,
        "max_sessions": int,
        "timeout":      float,
    }
    User = {
        "id":       int,               # 0..N_USERS-1, in order
        "name":     str,
        "email":    str,
        "active":   bool,
        "score":    float,
        "roles":    [str, ...],        # 1-3 items from ROLES (shared objects)
        "address":  Address,
        "sessions": [Session, ...],    # 0-5 items
    }
    Address = {
        "street": str,
        "city":   str,                 # from CITIES (shared objects)
        "zip":    str,                 # 5 digits
    }
    Session = {
        "start": float,
        "end":   float | None,         # Optional (None for ~1 in 5)
        "ip":    str,                  # dotted quad
        "pages": int,
    }
    Audit = {
        "ts":     float,
        "user":   int,                 # a User id
        "action": str,                 # from ACTIONS (shared objects)
        "detail": str | None,          # Optional (None for ~1 in 2)
    }

Dict keys are the same str objects throughout (string literals), and the
role, city and action strings are reused objects from small vocabularies,
as a real program would have them, so CPython's pickler memoizes them.
"""

import json
import os
import pickle
import random
import string
import sys
import time

import numpy as np

from bench_classes import Record

SEED = 20240611

N_A = 1_000_000
N_B = 100_000
N_C = 100_000
N_D = 2_000_000
N_E = 100 * 1024 * 1024 // 8  # 13,107,200 float64 = 100 MiB
N_E_SMALL = 1024 * 1024 // 8  # 131,072 float64 = 1 MiB
N_USERS = 29_600
N_AUDIT = 56_000

ROLES = ("admin", "editor", "viewer", "billing", "support", "owner")
CITIES = (
    "Amsterdam", "Berlin", "Chicago", "Dublin", "Edinburgh", "Florence",
    "Geneva", "Helsinki", "Istanbul", "Jakarta", "Kyoto", "Lisbon",
    "Madrid", "Nairobi", "Oslo", "Prague", "Quito", "Rome", "Seoul",
    "Toronto",
)
ACTIONS = (
    "login", "logout", "view", "edit", "delete", "export", "share",
    "invite", "upgrade", "reset_password",
)
STREETS = ("Main St", "High St", "Park Ave", "Oak Rd", "Mill Lane",
           "Station Rd", "Church St", "Elm St", "Lake Dr", "Hill Rd")
FIRST = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
         "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
         "sybil", "trent", "victor", "walter", "yolanda")


def make_a():
    """List of N_A small ints."""
    rng = np.random.default_rng(SEED + 1)
    return rng.integers(0, 1000, N_A).tolist()


def make_b():
    """List of N_B Records."""
    rng = random.Random(SEED + 2)
    letters = string.ascii_letters
    rand, randrange, choices = rng.random, rng.randrange, rng.choices
    return [
        Record(
            id=i,
            score=rand(),
            name="".join(choices(letters, k=16)),
            tags=[randrange(1_000_000), randrange(1_000_000), randrange(1_000_000)],
            counts={"x": randrange(1000), "y": randrange(1000)},
        )
        for i in range(N_B)
    ]


def make_c():
    """Dict of N_C str -> float."""
    rng = random.Random(SEED + 3)
    return {f"key{i:07d}": rng.random() for i in range(N_C)}


def make_d():
    """List of N_D distinct 32-char strs."""
    rng = random.Random(SEED + 4)
    bits = rng.getrandbits
    out = [format(bits(128), "032x") for _ in range(N_D)]
    assert len(set(out)) == N_D, "duplicate strings in d"
    return out


def make_e(n, seed):
    """float64 array of n random elements."""
    return np.random.default_rng(seed).random(n)


def make_f():
    """The nested app-state document (see the module docstring)."""
    rng = random.Random(SEED + 6)
    rand, randrange, choice, uniform = rng.random, rng.randrange, rng.choice, rng.uniform
    base = 1_700_000_000.0

    def ip():
        return "%d.%d.%d.%d" % (randrange(1, 255), randrange(256),
                                randrange(256), randrange(1, 255))

    users = []
    for i in range(N_USERS):
        first = choice(FIRST)
        name = "%s %s%d" % (first.capitalize(), choice(FIRST).capitalize(), randrange(100))
        sessions = []
        for _ in range(randrange(6)):
            start = base + uniform(0, 30 * 86400)
            sessions.append({
                "start": start,
                "end": None if randrange(5) == 0 else start + uniform(10, 7200),
                "ip": ip(),
                "pages": randrange(1, 200),
            })
        users.append({
            "id": i,
            "name": name,
            "email": "%s.%d@example.com" % (first, i),
            "active": randrange(10) != 0,
            "score": rand() * 100,
            "roles": rng.sample(ROLES, randrange(1, 4)),
            "address": {
                "street": "%d %s" % (randrange(1, 2000), choice(STREETS)),
                "city": choice(CITIES),
                "zip": "%05d" % randrange(100000),
            },
            "sessions": sessions,
        })

    audit = []
    for _ in range(N_AUDIT):
        audit.append({
            "ts": base + uniform(0, 30 * 86400),
            "user": randrange(N_USERS),
            "action": choice(ACTIONS),
            "detail": None if randrange(2) == 0 else "request %08x ok" % rng.getrandbits(32),
        })

    return {
        "version": 3,
        "generated": base + 30 * 86400.0,
        "settings": {
            "theme": "dark",
            "language": "en-GB",
            "page_size": 50,
            "beta": False,
            "limits": {"max_users": 50_000, "max_sessions": 10, "timeout": 30.0},
            "features": ["search", "export", "audit", "sso"],
        },
        "users": users,
        "audit": audit,
    }


def count_objects(obj):
    """Every container and scalar in a builtin tree, once per occurrence."""
    total = 0
    stack = [obj]
    while stack:
        o = stack.pop()
        total += 1
        if isinstance(o, dict):
            for k, v in o.items():
                total += 1  # the key (always a scalar here)
                stack.append(v)
        elif isinstance(o, list):
            stack.extend(o)
    return total


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: generate.py DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    meta = {}
    t_all = time.perf_counter()

    def save(name, obj, objects, description):
        t = time.perf_counter()
        data = pickle.dumps(obj, protocol=5)
        write(os.path.join(out, name + ".pkl"), data)
        meta[name] = {"objects": objects, "description": description, "bytes": len(data)}
        print(f"  {name + '.pkl':<16} {len(data):>12,} bytes  ({time.perf_counter() - t:.2f} s to pickle)",
              file=sys.stderr)

    save("a", make_a(), N_A, f"list of {N_A:,} small ints in [0, 1000)")
    save("b", make_b(), N_B,
         f"list of {N_B:,} bench_classes.Record instances (int, float, str, 3-int list, 2-key dict)")
    save("c", make_c(), N_C, f"dict of {N_C:,} str -> float")
    save("d", make_d(), N_D, f"list of {N_D:,} distinct 32-char strs")

    big = make_e(N_E, SEED + 5)
    save("e_inband", big, N_E, f"numpy float64 array, {N_E:,} elements (100 MiB), in-band")
    for name, arr, desc in (
        ("e_oob", big, "100 MiB"),
        ("e_oob_small", big[:N_E_SMALL].copy(), "1 MiB"),
    ):
        bufs = []
        data = pickle.dumps(arr, protocol=5, buffer_callback=bufs.append)
        assert len(bufs) == 1, "expected exactly one out-of-band buffer"
        raw = bufs[0].raw()
        write(os.path.join(out, name + ".pkl"), data)
        with open(os.path.join(out, name + ".buf"), "wb") as f:
            f.write(raw)  # == bytes(raw), without the copy
        meta[name] = {
            "objects": arr.size,
            "description": f"numpy float64 array, {arr.size:,} elements ({desc}), out-of-band buffer",
            "bytes": len(data),
            "buffer_bytes": raw.nbytes,
        }
        print(f"  {name + '.pkl':<16} {len(data):>12,} bytes + {raw.nbytes:,} buffer bytes", file=sys.stderr)
    del big

    doc = make_f()
    save("f", doc, count_objects(doc),
         f"nested app-state document: {N_USERS:,} users with sessions, {N_AUDIT:,} audit entries")

    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(f"generated {out} in {time.perf_counter() - t_all:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
