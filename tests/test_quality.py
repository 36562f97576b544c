"""The code we want to live in: ruff clean, and mypy strict on service/ftgate."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from serverproc import REPO

BIN = Path(sys.executable).parent


def test_ruff() -> None:
    run = subprocess.run([str(BIN / "ruff"), "check", "service", "tests", "scripts", "bench"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout


def test_mypy_strict() -> None:
    run = subprocess.run([str(BIN / "mypy")], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout
