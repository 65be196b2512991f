#!/usr/bin/env bash
# The numpy seed example, both directions: Rust writes Example(a=1, b=2.0,
# c=[[3.0, 4.0]]) and numpy loads it; numpy writes it and Rust loads it.
# Uses $PICKLE_PYTHON, else python3, if it has numpy; else a .venv with numpy from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

has_numpy() { [ -n "$1" ] && "$1" -c "import numpy" >/dev/null 2>&1; }
PY=""
for candidate in "${PICKLE_PYTHON:-}" python3 .venv/bin/python; do
    if has_numpy "$candidate"; then PY=$candidate; break; fi
done
if [ -z "$PY" ]; then
    echo "== no Python with numpy: making .venv with numpy from PyPI"
    python3 -m venv .venv
    .venv/bin/python -m pip install --quiet numpy
    PY=.venv/bin/python
fi
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
[ "$out" = $'1\n2.0\n[[3, 4]]' ] || { echo "unexpected output from Rust" >&2; exit 1; }
echo "seed example: both directions ok"
