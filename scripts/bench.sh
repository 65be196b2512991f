#!/usr/bin/env bash
# The performance comparison: our crate (typed and Value) vs CPython 3.11's C
# _pickle (GC on and off) vs the serde-pickle crate, on the workloads of
# bench/py/generate.py.  Prints the tables and the PASS/FAIL targets, and
# writes BENCHMARKS.md and docs/benchmarks.svg.
#
#   scripts/bench.sh [--runs N (>= 5, default 7)] [--rounds N (default 3)] [--quick] [--data DIR]
#                    [--out BENCHMARKS.md] [--svg docs/benchmarks.svg]
#
# Uses $PICKLE_PYTHON if set (it must have numpy), else a .venv with numpy from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/python-env.sh
# The runner twice: with mimalloc as its allocator (the typed-mimalloc side),
# then with the system's. Only the runner itself is rebuilt between the two.
cargo build --release -p pickle-bench --features mimalloc
cp "${CARGO_TARGET_DIR:-target}/release/pickle-bench" "${CARGO_TARGET_DIR:-target}/release/pickle-bench-mimalloc"
cargo build --release -p pickle-bench
"$PICKLE_PYTHON" bench/py/run.py "$@"
