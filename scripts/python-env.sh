# Sourced by the scripts: makes sure PICKLE_PYTHON names a python3 with numpy,
# creating the virtualenv .venv (numpy from PyPI) when none is given.
# With PICKLE_NUMPY1=1 it also provides numpy 1.26 in .venv-numpy1, for the
# tests that check output against numpy 1.x (PICKLE_PYTHON_NUMPY1).

pickle_has_numpy() { "$1" -c 'import numpy' >/dev/null 2>&1; }

pickle_make_venv() { # dir requirement
  if [ ! -x "$1/bin/python" ] || ! pickle_has_numpy "$1/bin/python"; then
    echo "setting up $1 with $2 ..." >&2
    python3 -m venv "$1"
    "$1/bin/python" -m pip install --quiet --disable-pip-version-check "$2"
  fi
}

if [ -z "${PICKLE_PYTHON:-}" ]; then
  pickle_make_venv "$PWD/.venv" numpy
  PICKLE_PYTHON="$PWD/.venv/bin/python"
fi
if ! pickle_has_numpy "$PICKLE_PYTHON"; then
  echo "error: $PICKLE_PYTHON has no numpy (unset PICKLE_PYTHON to use a .venv)" >&2
  exit 1
fi
export PICKLE_PYTHON

if [ "${PICKLE_NUMPY1:-}" = 1 ] && [ -z "${PICKLE_PYTHON_NUMPY1:-}" ]; then
  pickle_make_venv "$PWD/.venv-numpy1" "numpy<2"
  export PICKLE_PYTHON_NUMPY1="$PWD/.venv-numpy1/bin/python"
fi
