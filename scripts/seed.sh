#!/usr/bin/env bash
# The numpy seed example, both directions: Rust writes Example(a=1, b=2.0,
# c=[[3.0, 4.0]]) and numpy loads it; numpy writes it and Rust loads it.
# Uses $PICKLE_PYTHON if set (it must have numpy), else a .venv with numpy from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/python-env.sh
PY=$PICKLE_PYTHON
echo "== using $PY (numpy $("$PY" -c 'import numpy; print(numpy.__version__)'))"

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cargo build --quiet --example seed --features numpy
run() { cargo run --quiet --example seed --features numpy -- "$@"; }

echo "== Rust writes, Python reads"
run write "$dir/from_rust.pkl"
out=$("$PY" -W error examples/seed.py read "$dir/from_rust.pkl")
echo "$out"
[ "$out" = $'1\n2.0\n[[3. 4.]]' ] || { echo "unexpected output from Python" >&2; exit 1; }

echo "== Python writes, Rust reads"
"$PY" examples/seed.py write "$dir/from_python.pkl"
out=$(run read "$dir/from_python.pkl")
echo "$out"
[ "$out" = $'1\n2.0\n[[3. 4.]]' ] || { echo "unexpected output from Rust" >&2; exit 1; }
echo "seed example: both directions ok"
