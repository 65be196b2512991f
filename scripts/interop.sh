#!/usr/bin/env bash
# The main example, both directions: Rust writes a pickle that CPython loads,
# and CPython writes a pickle that Rust loads.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PICKLE_PYTHON:-python3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

cargo build --quiet --example interop
run() { cargo run --quiet --example interop -- "$@"; }

echo "== Rust writes, Python reads"
run write "$dir/from_rust.pkl"
"$PY" - "$dir/from_rust.pkl" <<'PY'
import pickle, sys
doc = pickle.load(open(sys.argv[1], "rb"))
print("python loaded:", doc)
assert doc["a"] is doc["b"], "sharing lost"
assert doc["self"] is doc, "cycle lost"
print("sharing and cycle preserved")
PY

echo "== Python writes, Rust reads"
"$PY" - "$dir/from_python.pkl" <<'PY'
import collections, pickle, sys
shared = [1, 2.5, "three"]
doc = {"a": shared, "b": shared, "when": (2026, 11, 27), "tags": {"x", "y"},
       "od": collections.OrderedDict(k=1), "big": 2**100, "blob": b"\x00\xff"}
doc["self"] = doc
pickle.dump(doc, open(sys.argv[1], "wb"), protocol=5)
print("python wrote:", doc)
PY
run read "$dir/from_python.pkl"
