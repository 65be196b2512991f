#!/usr/bin/env python3
"""CPython side of the pickle benchmark (the C ``_pickle`` accelerator).

    python bench/py/cpython.py --side S --workload W --op OP --data DIR --runs N

S is ``cpython`` (garbage collector enabled, the default) or ``cpython-nogc``
(``gc.disable()`` for the whole process).  W names DIR/W.pkl, written by
generate.py; for the out-of-band workloads (e_oob, e_oob_small) DIR/W.buf
holds the buffer.  OP is one of

  dumps   load the workload once, then time ``pickle.dumps(obj, protocol=5)``
          N times (e_oob*: with ``buffer_callback`` so the array stays
          out-of-band) after untimed warm-up calls (see WARMUP_RUNS).  size = output length.
  loads   read the file once, then time ``pickle.loads(data)`` N times
          (e_oob*: ``buffers=[...]``) after untimed warm-up calls (the first
          imports numpy for e_*).  size = input length.
  memory  bytes held by the loaded object according to tracemalloc (current
          traced memory after loads minus before, with the input already
          read and the modules imported): "live_bytes".  Meant for workload
          b.  times = the one (traced, so slow) loads call.

Each timed call is alone in its timed region: the previous result is dropped
and gc.collect() runs before it, outside the timing.

Prints exactly one JSON line, the same contract as the Rust runner:

  {"side", "workload", "op", "times": [seconds, ...], "size": bytes of the
   .pkl (not the .buf), "objects": meta.json's count, "peak_rss": bytes
   (ru_maxrss * 1024)}  plus "live_bytes" for op memory.
"""

import argparse
import gc
import json
import os
import pickle
import resource
import sys
import time
import tracemalloc

import bench_classes  # noqa: F401  -- imported up front: not part of any timing or trace

# Untimed runs before the timed ones, the same on every side: the process's
# allocator settles (glibc, for one, adapts its thresholds to the sizes
# freed), so the timed runs see the steady state of a program that loads or
# dumps again and again.
WARMUP_RUNS = 3
WARMUP_SECONDS = 0.5


def read_into_bytearray(path):
    """The file's bytes in one bytearray, without an intermediate bytes copy."""
    buf = bytearray(os.path.getsize(path))
    with open(path, "rb") as f:
        n = f.readinto(buf)
    assert n == len(buf), f"short read of {path}"
    return buf


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--side", required=True, choices=("cpython", "cpython-nogc"))
    p.add_argument("--workload", required=True)
    p.add_argument("--op", required=True, choices=("dumps", "loads", "memory"))
    p.add_argument("--data", required=True)
    p.add_argument("--runs", type=int, default=7)
    args = p.parse_args()
    if args.runs < 1:
        p.error("--runs must be at least 1")

    if args.side == "cpython-nogc":
        gc.disable()

    with open(os.path.join(args.data, "meta.json")) as f:
        meta = json.load(f)
    if args.workload not in meta:
        sys.exit(f"unknown workload {args.workload!r} (meta.json has {', '.join(meta)})")
    objects = meta[args.workload]["objects"]

    pkl_path = os.path.join(args.data, args.workload + ".pkl")
    buf_path = os.path.join(args.data, args.workload + ".buf")
    with open(pkl_path, "rb") as f:
        data = f.read()
    # Out-of-band workloads: the buffer lives in a writable bytearray that the
    # loaded array wraps without copying.
    oob = read_into_bytearray(buf_path) if os.path.exists(buf_path) else None

    def load():
        if oob is None:
            return pickle.loads(data)
        return pickle.loads(data, buffers=[pickle.PickleBuffer(oob)])

    def dump(obj):
        if oob is None:
            return pickle.dumps(obj, protocol=5)
        bufs = []
        out = pickle.dumps(obj, protocol=5, buffer_callback=bufs.append)
        assert len(bufs) == 1, "the array did not stay out-of-band"
        return out

    def timed(call):
        """Run call() N times, timing each, after untimed warm-up runs (at
        least WARMUP_RUNS, and for at least WARMUP_SECONDS, as the Rust
        runner does); the collector runs, and the previous result is gone,
        before every run, outside the timing."""
        start, n = perf(), 0
        while n < WARMUP_RUNS or perf() - start < WARMUP_SECONDS:
            gc.collect()
            call()
            n += 1
        times = []
        for _ in range(args.runs):
            gc.collect()
            t0 = perf()
            result = call()
            t1 = perf()
            del result
            times.append(t1 - t0)
        return times

    perf = time.perf_counter
    live_bytes = None
    # Every op starts with an untimed load: it imports what the pickle names
    # (numpy for e_*), so that no measurement pays for an import.
    obj = load()

    if args.op == "dumps":
        size = len(dump(obj))  # also the warm-up
        times = timed(lambda: dump(obj))
    elif args.op == "loads":
        del obj
        size = len(data)
        times = timed(load)
    else:  # memory
        del obj
        size = len(data)
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        t0 = perf()
        obj = load()
        t1 = perf()
        gc.collect()  # anything the unpickler left for the collector
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        times = [t1 - t0]
        live_bytes = after - before
        del obj

    result = {
        "side": args.side,
        "workload": args.workload,
        "op": args.op,
        "times": times,
        "size": size,
        "objects": objects,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    if live_bytes is not None:
        result["live_bytes"] = live_bytes
    print(json.dumps(result))


if __name__ == "__main__":
    main()
