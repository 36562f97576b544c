"""Files that are not ftgate audit stores, given to every CLI command that takes one: a
damaged SQLite file, an empty file, garbage, a FIFO, a device. Each is refused by name with
exit 2 and one message shape, at once (a FIFO is never opened, so nothing blocks)."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from ftgate.audit import DecisionStore, StoredDecision
from ftgate.v1 import advisor_pb2 as pb
from serverproc import FTGATE, REPO, free_ports

# Generous: only a command that blocks (a FIFO opened) comes near it.
NO_HANG_SECONDS = 60


def _damaged(path: Path) -> Path:
    """A real store whose pages past the first two are overwritten: its schema reads, its
    rows do not ("database disk image is malformed")."""
    store = DecisionStore(path)
    now = int(time.time() * 1e6)
    store.insert([StoredDecision(str(uuid.uuid4()), now - i, "v", f"p{i}",
                                 "VERDICT_NEEDS_INFORMATION", None, "[]", "{}",
                                 pb.ProjectProfile(name=f"p{i}").SerializeToString(),
                                 b"x" * 300) for i in range(300)])
    store.close()
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.seek(8192)
        f.write(b"\xa5" * (size - 8192))
    return path


def _bad_file(kind: str, tmp_path: Path) -> Path:
    path = tmp_path / f"{kind}.db"
    if kind == "damaged":
        return _damaged(path)
    if kind == "empty":
        path.touch()
    elif kind == "garbage":
        path.write_bytes(b"this is not a database\n" * 200)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        return Path("/dev/null")
    return path


def _commands(db: Path) -> dict[str, list[str]]:
    port, metrics, http = free_ports(3)
    return {
        "decisions list": ["decisions", "list", "--db", str(db)],
        "decisions show": ["decisions", "show", str(uuid.uuid4()), "--db", str(db)],
        "decisions export": ["decisions", "export", "--db", str(db), "--since", "3650d"],
        "rules replay": ["rules", "replay", "--rules", str(REPO / "rules"), "--audit-db",
                         str(db), "--since", "3650d"],
        "audit migrate": ["audit", "migrate", "--audit-db", str(db)],
        "serve": ["serve", "--audit-db", str(db), "--workers", "1", "--listen",
                  f"127.0.0.1:{port}", "--metrics-listen", f"127.0.0.1:{metrics}",
                  "--http-listen", f"127.0.0.1:{http}"],
    }


@pytest.mark.parametrize("kind", ["damaged", "empty", "garbage", "fifo", "device"])
def test_every_command_refuses_a_file_that_is_not_a_store(kind: str, tmp_path: Path) -> None:
    db = _bad_file(kind, tmp_path)
    for name, argv in _commands(db).items():
        if name == "serve" and kind == "empty":
            continue  # an empty file is where serve creates a new store (docs/operations.md)
        out = subprocess.run([*FTGATE, *argv], capture_output=True, text=True, cwd=REPO,
                             timeout=NO_HANG_SECONDS, stdin=subprocess.DEVNULL)
        where = f"{name} on {kind}: exit {out.returncode}\n{out.stderr[-2000:]}"
        assert out.returncode == 2, where
        assert f"{db}: not an ftgate audit store (" in out.stderr, where
        assert "internal error" not in out.stderr and "Traceback" not in out.stderr, where


def test_serve_makes_a_store_of_an_empty_file(tmp_path: Path) -> None:
    from serverproc import start_server

    db = tmp_path / "new.db"
    db.touch()
    server = start_server(tmp_path, "--workers", "1", "--audit-db", str(db))
    assert server.stop() == 0
    out = subprocess.run([*FTGATE, "decisions", "list", "--db", str(db)], capture_output=True,
                         text=True, cwd=REPO, timeout=NO_HANG_SECONDS)
    assert out.returncode == 0, out.stderr
