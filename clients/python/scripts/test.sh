#!/usr/bin/env bash
# Runs the Python SDK's tests (clients/python/tests) against live `ftgate serve` processes.
# Sets up clients/python/.venv from pyproject.toml (pinned, with the dev extra) when it is missing
# or older than pyproject.toml. FTGATE_BIN names the server's CLI (default: <repo>/.venv/bin/ftgate,
# made by `make venv`); PYTHON the interpreter for the venv. Extra arguments go to pytest
# (`-n0` runs in one process).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-python3}
venv=$here/.venv
stamp=$venv/.installed
if [ ! -f "$stamp" ] || [ "$here/pyproject.toml" -nt "$stamp" ]; then
  "$py" -m venv "$venv"
  # (This machine's pip config names local indexes that may be absent: drop those warnings.)
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$here[dev]" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  touch "$stamp"
fi
cd "$here"
# Three workers: most of the time goes to waiting (servers starting, retry backoffs, pip), not CPU.
# --dist loadscope keeps each module's server fixture in one worker.
exec "$venv/bin/python" -m pytest -q -n 3 --dist loadscope "$@"
