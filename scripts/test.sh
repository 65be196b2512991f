#!/usr/bin/env bash
# The test command: every test, including the live CPython interop tests.
# Needs python3 on PATH (or PICKLE_PYTHON pointing at an interpreter).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PICKLE_PYTHON:-python3}
"$PY" -c 'import sys; assert sys.version_info >= (3, 8), sys.version' \
  || { echo "error: the interop tests need python3 >= 3.8 (set PICKLE_PYTHON)" >&2; exit 1; }
export PICKLE_PYTHON="$PY"
cargo test --workspace --all-features "$@"
