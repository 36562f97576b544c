"""The decision store: one SQLite file in WAL mode, written by one writer, read by many.

One row per decision. The columns an operator filters on are plain SQL values; the input and
the answer are kept exactly as sent and returned (serialized ftgate.v1 messages), and the input
again as JSON so that `sqlite3 decisions.db` alone can show what was asked.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS decisions (
  decision_id     TEXT PRIMARY KEY,  -- Assessment.decision_id (a UUID)
  decided_at_us   INTEGER NOT NULL,  -- when, in microseconds since the Unix epoch (UTC)
  ruleset_version TEXT NOT NULL,
  project_name    TEXT NOT NULL,
  verdict         TEXT NOT NULL,     -- e.g. VERDICT_FINE_TUNE
  outcome         TEXT,              -- e.g. OUTCOME_USE_RAG; NULL when information was missing
  findings        TEXT NOT NULL,     -- JSON: [{"rule_id", "failure_mode", "severity"}, ...]
  profile_json    TEXT NOT NULL,     -- the input ProjectProfile, proto3 JSON
  project         BLOB NOT NULL,     -- the input, a serialized ftgate.v1.ProjectProfile
  assessment      BLOB NOT NULL      -- the answer, a serialized ftgate.v1.Assessment
);
CREATE INDEX IF NOT EXISTS decisions_by_time ON decisions (decided_at_us, decision_id);
CREATE INDEX IF NOT EXISTS decisions_by_verdict ON decisions (verdict, decided_at_us, decision_id);
"""
_COLUMNS = ("decision_id, decided_at_us, ruleset_version, project_name, verdict, outcome, "
            "findings, profile_json, project, assessment")


class BadPageToken(ValueError):
    """A page token this store did not make (or made for other filters)."""


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

    def token(self, last: StoredDecision) -> str:
        raw = json.dumps([last.decided_at_us, last.decision_id, self._key()])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def after(self, token: str) -> tuple[int, str]:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            at, decision_id, key = json.loads(raw)
        except (ValueError, TypeError) as exc:
            raise BadPageToken("malformed page token") from exc
        if not isinstance(at, int) or not isinstance(decision_id, str) or key != self._key():
            raise BadPageToken("page token of another listing (filters changed?)")
        return at, decision_id

    def _key(self) -> list[object]:
        return [self.since_us, self.until_us, self.verdict]


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the store's settings; the writer's creates the schema."""
    if readonly:
        conn = sqlite3.connect(f"file:{Path(path)}?mode=ro", uri=True, timeout=5.0,
                               check_same_thread=False)
    else:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=5.0, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (kill -9), and only
        # the last commits can be lost if the machine itself loses power.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    conn.execute("PRAGMA busy_timeout=5000")
    return conn


class DecisionStore:
    """Reads and writes decisions; safe to share between threads (one lock per connection)."""

    def __init__(self, path: str | Path, readonly: bool = False) -> None:
        self.path = Path(path)
        self._conn = connect(path, readonly)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._conn.close()

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

    def list(self, query: DecisionQuery, limit: int,
             page_token: str = "") -> tuple[list[StoredDecision], str]:
        """Newest first; returns the page and the token of the next one ('' on the last)."""
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
            at, decision_id = query.after(page_token)
            where.append("(decided_at_us < ? OR (decided_at_us = ? AND decision_id < ?))")
            args += [at, at, decision_id]
        sql = (f"SELECT {_COLUMNS} FROM decisions"
               + (" WHERE " + " AND ".join(where) if where else "")
               + " ORDER BY decided_at_us DESC, decision_id DESC LIMIT ?")
        with self._lock:
            rows = self._conn.execute(sql, [*args, limit + 1]).fetchall()
        page = [StoredDecision(*r) for r in rows[:limit]]
        return page, (query.token(page[-1]) if len(rows) > limit else "")

    def purge(self, older_than_days: float) -> int:
        """Delete decisions older than the retention; returns how many."""
        cutoff = int((time.time() - older_than_days * 86400) * 1_000_000)
        with self._lock, self._conn:
            cur = self._conn.execute("DELETE FROM decisions WHERE decided_at_us < ?", (cutoff,))
        return cur.rowcount

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])
