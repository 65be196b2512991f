"""Live check: CPython loads what the Rust pickler wrote and finds it equal.

Reads a JSON manifest from stdin: a list of
  {"name", "ours": hex, "reference": hex, "encoding", "buffers": [[hex, readonly]...],
   "extensions": {code: [module, name]}, "persistent": bool}
For each entry it loads `ours` and `reference` with CPython's pickle and checks
that the two object graphs are isomorphic: same types, same values, and the
same sharing (an object referenced twice in one is referenced twice in the
other), cycles included. Prints one line per failure; exits 1 if any.
"""
import copyreg
import json
import math
import os
import pickle
import sys

sys.setrecursionlimit(100000)
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))

def load(data, entry):
    kwargs = {"encoding": entry.get("encoding", "ASCII")}
    if entry.get("buffers"):
        kwargs["buffers"] = [
            pickle.PickleBuffer(bytes.fromhex(h) if ro else bytearray.fromhex(h))
            for h, ro in entry["buffers"]
        ]
    unpickler_cls = pickle.Unpickler
    if entry.get("persistent"):
        class U(pickle.Unpickler):
            def persistent_load(self, pid):
                return ("pid", pid)
        unpickler_cls = U
    import io
    return unpickler_cls(io.BytesIO(data), **kwargs).load()


def state_of(obj):
    if hasattr(obj, "__getstate__"):
        try:
            return obj.__getstate__()
        except TypeError:
            pass
    return getattr(obj, "__dict__", None)


def isomorphic(a, b):
    forward, backward = {}, {}
    stack = [(a, b)]
    while stack:
        x, y = stack.pop()
        if type(x) is not type(y):
            return f"type {type(x).__name__} != {type(y).__name__}"
        if isinstance(x, (type(None), bool, int)):
            if x != y:
                return f"{x!r} != {y!r}"
            continue
        if isinstance(x, float):
            same = x == y and math.copysign(1, x) == math.copysign(1, y)
            if not (same or (math.isnan(x) and math.isnan(y))):
                return f"float {x!r} != {y!r}"
            continue
        if isinstance(x, complex):
            if repr(x) != repr(y):
                return f"complex {x!r} != {y!r}"
            continue
        if isinstance(x, type) or callable(x) and not hasattr(x, "__dict__"):
            if x is not y:
                return f"global {x!r} is not {y!r}"
            continue
        # Sharing: the objects of one graph map one-to-one onto the other's.
        if id(x) in forward or id(y) in backward:
            if forward.get(id(x)) is not y or backward.get(id(y)) is not x:
                return f"sharing differs at a {type(x).__name__}: {x!r:.60}"
            continue
        forward[id(x)] = y
        backward[id(y)] = x
        if isinstance(x, (str, bytes, bytearray)):
            if x != y:
                return f"{x!r:.60} != {y!r:.60}"
        elif isinstance(x, (list, tuple)):
            if len(x) != len(y):
                return f"length {len(x)} != {len(y)}"
            stack.extend(zip(x, y))
            if type(x) not in (list, tuple):
                stack.append((state_of(x), state_of(y)))
        elif isinstance(x, dict):
            if list(map(repr, x.keys())) != list(map(repr, y.keys())):
                return f"dict keys differ: {list(x)[:5]!r} vs {list(y)[:5]!r}"
            stack.extend(zip(x.values(), y.values()))
            if type(x) is not dict:
                stack.append((state_of(x), state_of(y)))
        elif isinstance(x, (set, frozenset)):
            if x != y:
                return f"set {x!r:.60} != {y!r:.60}"
        elif isinstance(x, pickle.PickleBuffer):
            if bytes(x) != bytes(y):
                return "buffer differs"
        else:
            stack.append((state_of(x), state_of(y)))
    return None


def main():
    entries = json.load(sys.stdin)
    failures = 0
    for entry in entries:
        for code, (module, name) in entry.get("extensions", {}).items():
            copyreg.add_extension(module, name, int(code))
        try:
            ours = load(bytes.fromhex(entry["ours"]), entry)
            reference = load(bytes.fromhex(entry["reference"]), entry)
            problem = isomorphic(ours, reference)
        except Exception as e:  # a load failure is a finding, not a crash
            problem = f"{type(e).__name__}: {e}"
        finally:
            for code, (module, name) in entry.get("extensions", {}).items():
                copyreg.remove_extension(module, name, int(code))
        if problem:
            failures += 1
            print(f"{entry['name']}: {problem}")
    print(f"checked {len(entries)} pickles, {failures} failed", file=sys.stderr)
    sys.exit(1 if failures else 0)


main()
