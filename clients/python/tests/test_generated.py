"""The generated code: fresh from proto/, and importable beside the server's ftgate.v1."""

from __future__ import annotations

import filecmp
import os
import pathlib
import subprocess
import sys

import pytest

from _server import CLIENT_DIR, ftgate_bin

GEN = CLIENT_DIR / "src" / "ftgate_client" / "_gen"


def test_generated_code_is_fresh(tmp_path: pathlib.Path) -> None:
    subprocess.run(
        [str(CLIENT_DIR / "scripts" / "gen.sh"), str(tmp_path)],
        check=True,
        timeout=60,
        capture_output=True,
        env={**os.environ, "PYTHON": sys.executable},
    )
    fresh = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    committed = sorted(
        p.relative_to(GEN) for p in GEN.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    assert fresh == committed
    stale = [str(p) for p in fresh if not filecmp.cmp(tmp_path / p, GEN / p, shallow=False)]
    assert not stale, f"stale generated code {stale}: run clients/python/scripts/gen.sh"


SERVER_PYTHON = ftgate_bin().parent / "python"  # the server's venv
BOTH_ORDERS = [
    "import ftgate.v1.advisor_pb2 as s; import ftgate_client; from ftgate_client import v1 as c",
    "import ftgate_client; from ftgate_client import v1 as c; import ftgate.v1.advisor_pb2 as s",
]
CHECK = (
    "; assert s.ProjectProfile.DESCRIPTOR is c.ProjectProfile.DESCRIPTOR"
    "; m = c.ProjectProfile(name='x', quality_examples=3)"
    "; assert s.ProjectProfile.FromString(m.SerializeToString()) == m"
    "; assert isinstance(s.ProjectProfile(), c.ProjectProfile)"
    "; print('ok')"
)


@pytest.mark.parametrize("imports", BOTH_ORDERS, ids=["server-first", "client-first"])
def test_one_process_with_the_server_package(imports: str) -> None:
    # The server's venv has the server (ftgate.v1) installed; add this package's source to it.
    if not SERVER_PYTHON.exists():
        pytest.fail(
            f"{SERVER_PYTHON} missing: run `make venv` at the repo root (or set FTGATE_BIN)"
        )
    env = {**os.environ, "PYTHONPATH": str(CLIENT_DIR / "src")}
    done = subprocess.run(
        [str(SERVER_PYTHON), "-c", imports + CHECK],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_hand_written_part_is_mypy_strict_clean() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(CLIENT_DIR / "pyproject.toml")],
        cwd=CLIENT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_clean() -> None:
    ruff = [sys.executable, "-m", "ruff"]
    for args in (["check", "src", "tests"], ["format", "--check", "src", "tests"]):
        done = subprocess.run(
            [*ruff, *args], cwd=CLIENT_DIR, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
