#!/usr/bin/env bash
# The test command: every test, including the live CPython and numpy interop
# tests. Needs python3; numpy comes from PyPI into .venv unless PICKLE_PYTHON
# names an interpreter that has it. PICKLE_NUMPY1=1 adds the numpy 1.26 checks.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/python-env.sh
cargo test --workspace --all-features "$@"
