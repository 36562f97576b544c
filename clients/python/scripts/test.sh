#!/usr/bin/env bash
# Runs the Python SDK's tests (clients/python/tests) against live `ftgate serve` processes.
# Sets up clients/python/.venv from pyproject.toml (pinned, with the dev extra) when it is missing
# or older than pyproject.toml. FTGATE_BIN names the server's CLI (default: <repo>/.venv/bin/ftgate,
# made by `make venv`); PYTHON the interpreter for the venv. Extra arguments go to pytest.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
venv=$here/.venv
stamp=$venv/.installed
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here[dev]"
  touch "$stamp"
fi
cd "$here"
exec "$venv/bin/python" -m pytest -q "$@"
