"""The numpy side of tests/numpy.rs: reads one JSON request on stdin, answers one JSON on stdout.

Every load runs with warnings as errors, so a pickle that loads only with a
DeprecationWarning fails unless the case allows it. Arrays are made by
`expected(dtype, shape, order)`, which tests/numpy.rs mirrors element for element.
"""
import json
import pickle
import sys
import warnings

import numpy as np


def expected(dtype, shape, order):
    shape = tuple(shape)
    n = 1
    for d in shape:
        n *= d
    i = np.arange(n)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        x = i % 3 == 1
    elif dt.kind in "iu":
        x = (i * 7 + 1) % 100
    elif dt.kind == "f":
        x = i * 0.5 - 1
    else:
        x = (i * 0.5 - 1) + 1j * (i + 2)
    x = x.astype(dt).reshape(shape)
    return x.copy(order=order)


def load(data, buffers, allow_warning):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = pickle.loads(data, buffers=buffers)
    bad = [w for w in caught if not (allow_warning and issubclass(w.category, DeprecationWarning))]
    if bad:
        raise AssertionError(f"warning: {bad[0].category.__name__}: {bad[0].message}")
    if allow_warning and not caught:
        raise AssertionError("expected a DeprecationWarning, none was raised")
    return obj


def check(case):
    """Loads a pickle Rust wrote and compares it with the expected array."""
    try:
        buffers = [bytes.fromhex(b) for b in case.get("buffers", [])]
        a = load(bytes.fromhex(case["hex"]), buffers, case.get("warns", False))
        want = expected(case["dtype"], case["shape"], case["order"])
        if type(a) is not np.ndarray:
            return f"loaded a {type(a).__name__}"
        if a.dtype != want.dtype:
            return f"dtype {a.dtype.str} != {want.dtype.str}"
        if a.shape != want.shape:
            return f"shape {a.shape} != {want.shape}"
        if not np.array_equal(a, want):
            return f"values {a!r} != {want!r}"
        flags = (a.flags.c_contiguous, a.flags.f_contiguous)
        want_flags = (want.flags.c_contiguous, want.flags.f_contiguous)
        if flags != want_flags:
            return f"(C, F) contiguous {flags} != {want_flags}"
        return "ok"
    except Exception as e:  # noqa: BLE001 - every failure is reported to the Rust side
        return f"{type(e).__name__}: {e}"


def dumps(case):
    """Python's own pickles of the expected array, in every form numpy writes."""
    a = expected(case["dtype"], case["shape"], case["order"])
    out = {"in_band": [pickle.dumps(a, protocol=p).hex() for p in range(6)]}
    bufs = []
    data = pickle.dumps(a, protocol=5, buffer_callback=lambda b: bufs.append(b) or False)
    out["out_of_band"] = {
        "hex": data.hex(),
        "buffers": [b.raw().tobytes().hex() for b in bufs],
        "readonly": [b.raw().readonly for b in bufs],
    }
    big = a.astype(a.dtype.newbyteorder(">"))
    out["big_endian"] = [pickle.dumps(big, protocol=p).hex() for p in (0, 2, 4, 5)]
    return out


def opaque():
    """Arrays whose dtypes have no Rust element type."""
    arrays = {
        "structured": np.array([(1, 2.0, b"ab"), (-3, 4.5, b"c")], dtype=[("x", "<i2"), ("y", ">f4"), ("z", "S2")]),
        "datetime64": np.array(["2024-01-02", "1999-12-31"], dtype="datetime64[D]"),
        "unicode": np.array([["ab", "c"], ["", "xyz"]], dtype="U3"),
        "object": np.array([1, "two", None], dtype=object),
    }
    return {k: [pickle.dumps(v, protocol=p).hex() for p in range(6)] for k, v in arrays.items()}, arrays


def main():
    request = json.load(sys.stdin)
    cmd = request["cmd"]
    if cmd == "version":
        answer = {"numpy": np.__version__}
    elif cmd == "check":
        answer = [check(c) for c in request["cases"]]
    elif cmd == "dumps":
        answer = [dumps(c) for c in request["cases"]]
    elif cmd == "opaque_dumps":
        answer = opaque()[0]
    elif cmd == "opaque_check":
        arrays = opaque()[1]
        answer = {}
        for name, pickles in request["pickles"].items():
            want = arrays[name]
            results = []
            for h in pickles:
                try:
                    a = load(bytes.fromhex(h), [], False)
                    same = a.dtype == want.dtype and a.shape == want.shape and (a == want).all()
                    results.append("ok" if same else f"{a!r} != {want!r}")
                except Exception as e:  # noqa: BLE001
                    results.append(f"{type(e).__name__}: {e}")
            answer[name] = results
    elif cmd == "list_and_scalars":
        # Builtin dtypes and one-byte bytes are singletons: written once, then fetched from the memo.
        items = [expected("<f8", [5], "C"), expected("<f8", [2, 3], "F"), np.float64(2.5), np.int32(-7),
                 np.bool_(True), np.uint8(1), np.complex128(1 - 2j), np.float16(0.5)]
        answer = [pickle.dumps(items, protocol=p).hex() for p in range(6)]
    elif cmd == "load_list_and_scalars":
        answer = []
        for h in request["pickles"]:
            try:
                got = load(bytes.fromhex(h), [], False)
                want = [expected("<f8", [5], "C"), expected("<f8", [2, 3], "F"), np.float64(2.5), np.int32(-7),
                        np.bool_(True), np.uint8(1), np.complex128(1 - 2j), np.float16(0.5)]
                same = len(got) == len(want) and all(
                    type(g) is type(w) and getattr(g, "dtype", None) == w.dtype and np.array_equal(g, w)
                    for g, w in zip(got, want))
                answer.append("ok" if same else f"{got!r}")
            except Exception as e:  # noqa: BLE001
                answer.append(f"{type(e).__name__}: {e}")
    elif cmd == "state_dict":
        # A model's weights: arrays of one dtype, which numpy writes once and
        # then fetches from the memo, as it does the one-byte b'b'.
        weights = {
            "w1": (np.arange(6, dtype="<f4") * 0.5).reshape(2, 3),
            "b1": np.arange(3, dtype="<f4") - 1,
            "w2": np.full((3, 1), 2.5, dtype="<f4"),
        }
        answer = [pickle.dumps(weights, protocol=p).hex() for p in range(6)]
    elif cmd == "big_dump":
        a = np.arange(request["n"], dtype="<f8") * 0.25
        with open(request["path"], "wb") as f:
            pickle.dump(a, f, protocol=request["protocol"])
        answer = "ok"
    elif cmd == "big_check":
        with open(request["path"], "rb") as f:
            a = load(f.read(), [], False)
        want = np.arange(request["n"], dtype="<f8") * 0.25
        answer = "ok" if a.dtype == want.dtype and np.array_equal(a, want) else "mismatch"
    else:
        raise SystemExit(f"unknown command {cmd!r}")
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
