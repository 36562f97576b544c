"""A throwaway PostgreSQL cluster for tests: initdb'd in a temporary directory, run as the
`postgres` user (initdb and postgres refuse root), listening on a free port of 127.0.0.1."""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[2]
ENSURE = REPO / "deploy" / "scripts" / "ensure-postgresql.sh"


def server_bindir() -> Path | None:
    """Where initdb and postgres are (installed by deploy/scripts/ensure-postgresql.sh when
    missing); None when they cannot be had."""
    out = subprocess.run(["bash", str(ENSURE)], capture_output=True, text=True, timeout=900)
    lines = out.stdout.strip().splitlines()
    return Path(lines[-1]) if lines else None


def poll(condition: object, timeout: float, what: str, every: float = 0.05) -> object:
    """condition()'s first true value within timeout seconds; TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()  # type: ignore[operator]
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        time.sleep(every)


class PgCluster:
    def __init__(self, bindir: Path, port: int) -> None:
        self.bindir = bindir
        self.port = port
        self.root = Path(tempfile.mkdtemp(prefix="ftgate-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        entry = pwd.getpwnam("postgres")
        os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._as_postgres([str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                           "-A", "trust", "-E", "UTF8", "--no-sync"])

    def _as_postgres(self, argv: list[str]) -> None:
        cmd = argv if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--", *argv]
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if out.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {out.stdout}\n{out.stderr}")

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c max_connections=200")
        self._as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                           "-o", options, "-w", "-t", "120", "start"])
        poll(self.accepting, 60, "PostgreSQL accepting connections")

    def stop(self) -> None:
        self._as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast",
                           "-w", "-t", "120", "stop"])

    def accepting(self) -> bool:
        try:
            with psycopg.connect(self.url(), connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False

    def new_database(self) -> str:
        """A new empty database; its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)

    def remove(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop()
        if not os.environ.get("FTGATE_KEEP_PG"):
            shutil.rmtree(self.root, ignore_errors=True)
