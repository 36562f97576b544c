"""Retention on a live server (both backends), and `ftgate decisions export` in bounded memory."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fleettools import wait_until
from ftgate.audit import DecisionStore
from ftgate.audit.stores import check_store, open_store
from rows import row
from serverproc import FTGATE, REPO, start_server

DAY_US = 86_400_000_000


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_retention_deletes_only_what_is_older(tmp_path: Path, pg_url: str, backend: str) -> None:
    target = pg_url if backend == "postgresql" else str(tmp_path / "audit.db")
    check_store(target, migrate=True)
    now = int(time.time() * 1e6)
    old = [row(i, now - (91 + i) * DAY_US) for i in range(30)]
    young = [row(i, now - (89 - i) * DAY_US) for i in range(30)]
    store = open_store(target)
    store.insert(old + young)
    store.close()
    server = start_server(tmp_path, "--audit-db", target, "--audit-retention", "90d",
                          "--workers", "1")
    try:
        left = wait_until(lambda: _ids_when(target, 30), timeout=60, what="old rows purged")
    finally:
        server.stop()
    assert left == {r.decision_id for r in young}
    assert "audit_purged" in server.log()


def _ids_when(target: str, count: int) -> set[str] | None:
    store = open_store(target, readonly=True)
    try:
        ids = {r.decision_id for r in store.scan()}
    finally:
        store.close()
    return ids if len(ids) == count else None


def _export(db: str, out: Path, *flags: str) -> tuple[int, str]:
    """Run the export in its own process; (its peak RSS in KiB, stderr)."""
    proc = subprocess.Popen([*FTGATE, "decisions", "export", "--db", db, *flags,
                             "--output", str(out)], cwd=REPO, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.stderr is not None
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read().decode()
    proc.returncode = os.waitstatus_to_exitcode(status)
    assert proc.returncode == 0, err
    return usage.ru_maxrss, err


@pytest.mark.slow
def test_export_of_100000_records_streams_in_bounded_memory(tmp_path: Path, pg_url: str) -> None:
    check_store(pg_url, migrate=True)
    now = int(time.time() * 1e6)
    store = open_store(pg_url)
    for start in range(0, 100_000, 5000):
        store.insert([row(i, now - i * 10_000, payload=300)  # one every 10 ms
                      for i in range(start, start + 5000)])
    store.close()
    since_10s = datetime.fromtimestamp(now / 1e6 - 10, UTC).isoformat()  # the last 1,000
    small_rss, _ = _export(pg_url, tmp_path / "small.jsonl", "--since", since_10s)
    big_rss, err = _export(pg_url, tmp_path / "all.jsonl", "--since", "1d")
    assert "100000 decisions" in err
    lines = 0
    with open(tmp_path / "all.jsonl", encoding="utf-8") as f:
        for line in f:
            json.loads(line)
            lines += 1
    assert lines == 100_000
    small = len((tmp_path / "small.jsonl").read_text(encoding="utf-8").splitlines())
    assert small in (1000, 1001)  # (the first at exactly --since is in)
    # 100 times the rows, (nearly) the same memory: the records are streamed, not held.
    assert big_rss < small_rss + 20 * 1024, (small_rss, big_rss)


def test_export_formats_and_window(tmp_path: Path) -> None:
    db = tmp_path / "audit.db"
    now = int(time.time() * 1e6)
    rows = [row(i, now - i * 3_600_000_000) for i in range(10)]  # one an hour
    DecisionStore(db).insert(rows)
    out = subprocess.run([*FTGATE, "decisions", "export", "--db", str(db), "--since", "330m",
                          "--until", "90m", "--format", "csv"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0] == ("decision_id,decided_at,ruleset_version,project_name,verdict,outcome,"
                        "findings,profile")
    # Rows of 2, 3, 4 and 5 hours ago, oldest first.
    assert [line.split(",")[0] for line in lines[1:]] == [r.decision_id for r in rows[5:1:-1]]
    bad = subprocess.run([*FTGATE, "decisions", "export", "--db", str(db), "--since", "soon"],
                         cwd=REPO, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "expected an ISO 8601 time" in bad.stderr
