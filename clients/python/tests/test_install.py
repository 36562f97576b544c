"""`pip install ./clients/python` into a fresh venv without the server, then the quick start."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

from _server import CLIENT_DIR, FtgateServer


def quick_start() -> str:
    """The Python block under "## Quick start" in the README."""
    readme = (CLIENT_DIR / "README.md").read_text()
    match = re.search(r"## Quick start\s+```python\n(.*?)```", readme, re.S)
    assert match, "README has no quick start block"
    return match.group(1)


def test_quick_start_is_five_lines() -> None:
    assert len(quick_start().strip().splitlines()) == 5


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_install_alone_then_quick_start(server: FtgateServer, tmp_path: pathlib.Path) -> None:
    # A fresh venv with nothing in it (no pip either: this venv's pip installs into it, which
    # skips ensurepip's ~15 s), then the plain `pip install ./clients/python`.
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=60
    )
    python = venv / "bin" / "python"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(CLIENT_DIR),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # The fresh venv has the client and its pinned dependencies, not the server.
    probe = (
        "import importlib.util as u;"
        "print(u.find_spec('ftgate'), u.find_spec('ftgate_client') is not None)"
    )
    out = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["None", "True"], out.stdout + out.stderr

    script = tmp_path / "quick_start.py"
    script.write_text(quick_start().replace("127.0.0.1:50051", server.address))
    run = subprocess.run(
        [str(python), str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    first = run.stdout.splitlines()[0].split()
    assert first[0].startswith("VERDICT_") and first[1].startswith("OUTCOME_"), run.stdout
