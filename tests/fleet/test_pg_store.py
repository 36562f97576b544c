"""The PostgreSQL store against a real server: migrations, and the same answers as SQLite."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
from ftgate.audit import BadPageToken, DecisionQuery, DecisionStore
from ftgate.audit.backend import check_store, open_store
from ftgate.audit.pg_schema import LATEST, SchemaError
from ftgate.audit.postgres import PostgresStore, redact
from rows import row
from serverproc import FTGATE, REPO


def test_migrations_from_an_empty_database_then_nothing_to_do(pg_url: str) -> None:
    store = PostgresStore(pg_url)
    assert store.schema_version() == 0
    with pytest.raises(SchemaError, match="ftgate audit migrate"):
        store.check_schema()
    assert [m.version for m in store.migrate()] == list(range(1, LATEST + 1))
    assert store.migrate() == []
    store.check_schema()
    assert store.schema_version() == LATEST
    store.close()


def test_a_newer_schema_is_refused(pg_url: str) -> None:
    check_store(pg_url, migrate=True)
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO ftgate_schema (version, name) VALUES (%s, 'future')",
                     (LATEST + 1,))
    for migrate in (False, True):
        with pytest.raises(SchemaError, match=f"schema version {LATEST + 1}, newer"):
            check_store(pg_url, migrate=migrate)


def test_a_database_of_something_else_is_refused(pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE decisions (id int)")
    with pytest.raises(SchemaError, match="not an ftgate audit store"):
        check_store(pg_url, migrate=True)


def test_the_password_is_never_in_what_is_shown() -> None:
    shown = redact("postgresql://audit:s3cret@db.example:5433/ftgate?sslmode=require")
    assert "s3cret" not in shown
    assert shown == "postgresql://audit@db.example:5433/ftgate"


def _both(tmp_path: Path, pg_url: str) -> list[DecisionStore | PostgresStore]:
    check_store(pg_url, migrate=True)
    return [DecisionStore(tmp_path / "d.db"), PostgresStore(pg_url)]


def test_listing_pages_and_filters_alike_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    now = int(time.time() * 1e6)
    # Equal times on purpose: pages must break ties by decision id the same way.
    rows = [row(i, now - (i // 3) * 1000, payload=200 * (i % 5)) for i in range(120)]
    stores = _both(tmp_path, pg_url)
    for store in stores:
        store.insert(rows)
    queries = [DecisionQuery(), DecisionQuery(verdict="VERDICT_FINE_TUNE"),
               DecisionQuery(since_us=now - 20_000, until_us=now - 5_000)]
    for query in queries:
        walks = []
        for store in stores:
            ids, token, pages = [], "", 0
            while True:
                page, token = store.list(query, 7, token, max_bytes=1500)
                ids += [r.decision_id for r in page]
                pages += 1
                if not token:
                    break
            walks.append((ids, pages))
        assert walks[0] == walks[1]
        assert len(set(walks[0][0])) == len(walks[0][0]) > 0
    store = stores[1]
    page, token = store.list(DecisionQuery(), 5)
    with pytest.raises(BadPageToken, match="another listing"):
        store.list(DecisionQuery(verdict="VERDICT_FINE_TUNE"), 5, token)
    with pytest.raises(BadPageToken):
        store.list(DecisionQuery(), 5, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    # Another process (another replica) signs with the same key: its tokens work here.
    other = open_store(pg_url)
    assert other.list(DecisionQuery(), 5, token)[0] == store.list(DecisionQuery(), 5, token)[0]
    got = store.get(rows[3].decision_id)
    assert got == rows[3]
    assert store.get("00000000-0000-4000-8000-000000000000") is None
    for s in [*stores, other]:
        s.close()


def test_scan_and_purge_alike_on_both_backends(tmp_path: Path, pg_url: str) -> None:
    now = int(time.time() * 1e6)
    day = 86_400_000_000
    rows = [row(i, now - (i % 10) * day) for i in range(50)]
    for store in _both(tmp_path, pg_url):
        store.insert(rows)
        scanned = list(store.scan(chunk=7))
        assert [r.decision_id for r in scanned] == [
            r.decision_id for r in sorted(rows, key=lambda r: (r.decided_at_us, r.decision_id))]
        since = list(store.scan(since_us=now - 3 * day, chunk=4))
        assert {r.decision_id for r in since} == {
            r.decision_id for r in rows if r.decided_at_us >= now - 3 * day}
        removed = store.purge(now - 5 * day - 1, batch=3)  # strictly older than 5 days
        assert removed == sum(1 for r in rows if r.decided_at_us < now - 5 * day - 1) == 20
        assert {r.decision_id for r in store.scan()} == {
            r.decision_id for r in rows if r.decided_at_us >= now - 5 * day - 1}
        store.close()


def _ftgate(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*FTGATE, *args], cwd=REPO, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})})


def test_audit_migrate_command_and_serve_refusals(pg_url: str, tmp_path: Path) -> None:
    # Not migrated yet: serve refuses at start, naming what to run (exit 2, nothing served).
    out = _ftgate("serve", "--audit-db", pg_url, "--listen", "127.0.0.1:0",
                  "--metrics-listen", "")
    assert out.returncode == 2 and "ftgate audit migrate" in out.stderr
    assert "password" not in out.stderr
    out = _ftgate("audit", "migrate", env={"FTGATE_AUDIT_DB": pg_url})
    assert out.returncode == 0 and f"schema version {LATEST}" in out.stdout
    out = _ftgate("audit", "migrate", "--audit-db", pg_url)
    assert out.returncode == 0 and "already up to date" in out.stdout
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO ftgate_schema (version, name) VALUES (%s, 'future')",
                     (LATEST + 1,))
    out = _ftgate("audit", "migrate", "--audit-db", pg_url)
    assert out.returncode == 2 and "newer than this ftgate knows" in out.stderr
    out = _ftgate("serve", "--audit-db", pg_url, "--audit-migrate", "--listen", "127.0.0.1:0",
                  "--metrics-listen", "")
    assert out.returncode == 2 and "newer than this ftgate knows" in out.stderr


@pytest.mark.slow
def test_bad_audit_flags_are_named(tmp_path: Path) -> None:
    for args, expected in (
            (("--audit-db", "mysql://db/x"), "postgresql:// URL"),
            (("--audit-retention", "ninety days"), "--audit-retention"),
            (("--audit-durability", "sync"), "--audit-durability sync needs --audit-db"),
            (("--audit-db", str(tmp_path / "a.db"), "--audit-retention", "9d",
              "--audit-retention-days", "9"), "give one of them"),
            (("--audit-durability", "sometimes"), "--audit-durability")):
        out = _ftgate("serve", *args, "--listen", "127.0.0.1:0", "--metrics-listen", "")
        assert out.returncode == 2 and expected in out.stderr, (args, out.stderr)
    out = _ftgate("serve", "--listen", "127.0.0.1:0", "--metrics-listen", "",
                  env={"FTGATE_AUDIT_DB": "ftp://x"})
    assert out.returncode == 2 and "FTGATE_AUDIT_DB" in out.stderr
    unreachable = "postgresql://ftgate:s3cret@127.0.0.1:1/ftgate"
    out = _ftgate("serve", "--audit-db", unreachable, "--listen", "127.0.0.1:0",
                  "--metrics-listen", "")
    assert out.returncode == 2 and "cannot reach the audit store" in out.stderr
    assert "s3cret" not in out.stderr
