"""The decision store: one SQLite file in WAL mode, written by one writer, read by many.

One row per decision. The columns an operator filters on are plain SQL values; the input and
the answer are kept exactly as sent and returned (serialized ftgate.v1 messages), and the input
again as JSON so that `sqlite3 decisions.db` alone can show what was asked.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ftgate.audit.database import COLUMN_NAMES, AuditFileError, check_file, connect
from ftgate.audit.page_token import BadPageToken, filter_digest, make_token, read_token

_COLUMNS = ", ".join(COLUMN_NAMES)
# Rows are fetched by id in chunks of this many, so that a page never holds a whole result set.
_FETCH_CHUNK = 50

__all__ = ["AuditFileError", "BadPageToken", "DecisionQuery", "DecisionStore", "StoredDecision",
           "check_file", "connect"]


@dataclass(frozen=True, slots=True)
class StoredDecision:
    """One row of the store."""

    decision_id: str
    decided_at_us: int
    ruleset_version: str
    project_name: str
    verdict: str
    outcome: str | None
    findings: str
    profile_json: str
    project: bytes
    assessment: bytes


@dataclass(frozen=True, slots=True)
class DecisionQuery:
    """Filters of a listing: [since, until) in microseconds, and a verdict name."""

    since_us: int | None = None
    until_us: int | None = None
    verdict: str | None = None

    def digest(self) -> bytes:
        """What a page token carries of these filters (a token works only with them)."""
        return filter_digest(json.dumps([self.since_us, self.until_us, self.verdict]))


def _page_key(conn: sqlite3.Connection) -> bytes:
    """The key that signs this file's page tokens (a read-only connection to a file made before
    there was one signs with a key of its own: its tokens work for itself only)."""
    try:
        row = conn.execute("SELECT value FROM meta WHERE name = 'page_token_key'").fetchone()
    except sqlite3.OperationalError:
        row = None
    return bytes(row[0]) if row else secrets.token_bytes(32)


def _rows(conn: sqlite3.Connection, lock: threading.Lock,
          ids: list[str]) -> list[StoredDecision]:
    """The rows of these ids, in this order, read a chunk at a time."""
    found: dict[str, StoredDecision] = {}
    for i in range(0, len(ids), _FETCH_CHUNK):
        chunk = ids[i:i + _FETCH_CHUNK]
        marks = ",".join("?" * len(chunk))
        with lock:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM decisions WHERE decision_id IN ({marks})", chunk
            ).fetchall()
        found.update((r[0], StoredDecision(*r)) for r in rows)
    # A row purged between the two reads is simply left out.
    return [found[i] for i in ids if i in found]


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


class DecisionStore:
    """Reads and writes decisions; safe to share between threads (one lock per connection)."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self._conn = connect(path, readonly)
        self._identity = _identity(self.path)
        self._page_key = _page_key(self._conn)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def replaced(self) -> bool:
        """True when the file this store has open is no longer the one at its path (deleted, or
        moved and replaced): what is written from then on goes to a file nobody will find."""
        return _identity(self.path) != self._identity

    def save_copy(self) -> Path:
        """Copy the open database (WAL included) to a new file beside its path, named after
        this process and the time: what is left of a file deleted while open."""
        copy = self.path.with_name(
            f"{self.path.name}.rescued-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        target = sqlite3.connect(str(copy))
        try:
            with self._lock:
                self._conn.backup(target)
        finally:
            target.close()
        return copy

    def insert(self, rows: Iterable[StoredDecision]) -> int:
        """Write rows in one transaction; a decision id already stored is kept as it was."""
        values = [
            (r.decision_id, r.decided_at_us, r.ruleset_version, r.project_name, r.verdict,
             r.outcome, r.findings, r.profile_json, r.project, r.assessment) for r in rows]
        with self._lock, self._conn:
            self._conn.executemany(
                f"INSERT OR IGNORE INTO decisions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                values)
        return len(values)

    def get(self, decision_id: str) -> StoredDecision | None:
        with self._lock:
            row = self._conn.execute(
                f"SELECT {_COLUMNS} FROM decisions WHERE decision_id = ?", (decision_id,)
            ).fetchone()
        return StoredDecision(*row) if row else None

    def list(self, query: DecisionQuery, limit: int, page_token: str = "",
             max_bytes: int | None = None) -> tuple[list[StoredDecision], str]:
        """Newest first; returns the page and the token of the next one ('' on the last).

        A page holds at most `limit` decisions and, past its first, only as many as fit in
        `max_bytes` (the sizes of their stored input and answer): one page never holds a
        whole large result set, and no row is read whole before it is known to fit."""
        where: list[str] = []
        args: list[object] = []
        if query.since_us is not None:
            where.append("decided_at_us >= ?")
            args.append(query.since_us)
        if query.until_us is not None:
            where.append("decided_at_us < ?")
            args.append(query.until_us)
        if query.verdict:
            where.append("verdict = ?")
            args.append(query.verdict)
        if page_token:
            at, decision_id = read_token(self._page_key, query.digest(), page_token)
            where.append("(decided_at_us < ? OR (decided_at_us = ? AND decision_id < ?))")
            args += [at, at, decision_id]
        # First the keys and sizes (length() of a BLOB does not read it), then the rows chosen.
        sql = ("SELECT decided_at_us, decision_id, length(project) + length(assessment) "
               "+ length(profile_json) FROM decisions"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY decided_at_us DESC, decision_id DESC LIMIT ?")
        with self._lock:
            keys = self._conn.execute(sql, [*args, limit + 1]).fetchall()
        chosen: list[str] = []
        total = 0
        for _at, decision_id, size in keys[:limit]:
            if chosen and max_bytes is not None and total + size > max_bytes:
                break
            chosen.append(decision_id)
            total += size
        page = _rows(self._conn, self._lock, chosen)
        more = len(chosen) < len(keys)
        return page, (make_token(self._page_key, query.digest(), page[-1].decided_at_us,
                                 page[-1].decision_id) if more and page else "")

    def purge(self, older_than_days: float) -> int:
        """Delete decisions older than the retention; returns how many."""
        cutoff = int((time.time() - older_than_days * 86400) * 1_000_000)
        with self._lock, self._conn:
            cur = self._conn.execute("DELETE FROM decisions WHERE decided_at_us < ?", (cutoff,))
        return cur.rowcount

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])
