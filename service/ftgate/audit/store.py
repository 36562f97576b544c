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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ftgate.audit import listing
from ftgate.audit.errors import StoreError, StoreUnavailable
from ftgate.audit.page_token import BadPageToken, filter_digest, make_token
from ftgate.errors import FtgateError

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
-- Settings of this file: the key that signs ListDecisions page tokens (audit/page_token.py).
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
INSERT OR IGNORE INTO meta (name, value) VALUES ('page_token_key', randomblob(32));
"""
_COLUMN_NAMES = ("decision_id", "decided_at_us", "ruleset_version", "project_name", "verdict",
                 "outcome", "findings", "profile_json", "project", "assessment")
_COLUMNS = ", ".join(_COLUMN_NAMES)
_OUR_TABLES = {"decisions", "meta"}
# Rows are fetched by id in chunks of this many, so that a page never holds a whole result set.
_FETCH_CHUNK = 50

__all__ = ["AuditFileError", "BadPageToken", "DecisionQuery", "DecisionStore", "StoredDecision",
           "check_file", "connect"]


class AuditFileError(FtgateError):
    """The audit database cannot be opened or is not one of ours; the message names the file
    and what to do."""


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


def _open_failure(path: Path, exc: sqlite3.Error) -> AuditFileError:
    """An sqlite3 error at open, told as what it means for the operator."""
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "unable to open" in text:
        if path.is_dir():
            return AuditFileError(f"the audit log {path} is a directory: give --audit-db the "
                                  f"path of a file (created if missing)")
        return AuditFileError(
            f"cannot open the audit log {path} ({text}): make its directory exist and be "
            f"writable by this user, or give --audit-db another path")
    if isinstance(exc, sqlite3.DatabaseError) and not isinstance(exc, sqlite3.OperationalError):
        return AuditFileError(
            f"the audit log {path} is not a usable SQLite database ({text}): move it aside "
            f"(keep it to inspect) so that a new one is created, or give --audit-db another path")
    return AuditFileError(f"cannot use the audit log {path}: {text}")


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a database that holds something else than decisions: never write into it."""
    tables = {r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if not tables and version == 0:
        return  # a new, empty file
    columns = tuple(r[1] for r in conn.execute("PRAGMA table_info(decisions)"))
    if tables - _OUR_TABLES or version not in (0, SCHEMA_VERSION) or columns != _COLUMN_NAMES:
        raise AuditFileError(
            f"the audit log {path} is an SQLite database of something else (tables "
            f"{', '.join(sorted(tables)) or 'none'}, user_version {version}): give --audit-db "
            f"the path of a new file or of an ftgate audit log")


def connect(path: str | Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection with the store's settings; the writer's creates the schema. AuditFileError
    when the file cannot be opened or is not an audit log."""
    path = Path(path)
    try:
        if readonly:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0,
                                   check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(path), timeout=5.0, check_same_thread=False)
        try:
            _check_schema(conn, path)
            if not readonly:
                conn.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode: a commit survives the process being killed (kill -9), and
                # only the last commits can be lost if the machine itself loses power.
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
                conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("PRAGMA busy_timeout=5000")
        except BaseException:
            conn.close()
            raise
    except sqlite3.Error as exc:
        raise _open_failure(path, exc) from None
    except OSError as exc:  # the directory cannot be made
        raise AuditFileError(
            f"cannot create the directory of the audit log {path} ({exc.strerror}): create it "
            f"writable by this user, or give --audit-db another path") from None
    return conn


def check_file(path: str | Path) -> None:
    """At start: check an existing audit log, read-only (one of ours? SQLite's quick check),
    then open it as the writer does (creating it when missing), so that a damaged file is
    reported, untouched, before the first decision is lost to it. AuditFileError if not."""
    path = Path(path)
    if path.is_file():
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
            try:
                _check_schema(conn, path)
                problems = _quick_check(conn)
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise _open_failure(path, exc) from None
        if problems != ["ok"]:
            raise AuditFileError(
                f"the audit log {path} is damaged (SQLite quick_check: {'; '.join(problems)}): "
                f"restore it from a backup, or recover what it holds with "
                f"`sqlite3 {path} .recover | sqlite3 NEW.db`, and move the damaged file aside")
    connect(path).close()


def _quick_check(conn: sqlite3.Connection) -> list[str]:
    try:
        return [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:  # a page too damaged to walk
        return [str(exc)]


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

    @property
    def target(self) -> str:
        """What the store is, for logs."""
        return str(self.path)

    def ping(self) -> None:
        """Nothing to reach: an open SQLite file is there."""

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def replaced(self) -> bool:
        """True when the file this store has open is no longer the one at its path (deleted, or
        moved and replaced): what is written from then on goes to a file nobody will find."""
        return _identity(self.path) != self._identity

    def insert(self, rows: Iterable[StoredDecision]) -> int:
        """Write rows in one transaction; a decision id already stored is kept as it was."""
        values = [
            (r.decision_id, r.decided_at_us, r.ruleset_version, r.project_name, r.verdict,
             r.outcome, r.findings, r.profile_json, r.project, r.assessment) for r in rows]
        try:
            with self._lock, self._conn:
                self._conn.executemany(
                    f"INSERT OR IGNORE INTO decisions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    values)
        except sqlite3.OperationalError as exc:  # locked, disk full, I/O: may pass
            raise StoreUnavailable(f"audit log {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"audit log {self.path}: {exc}") from None
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
        after = listing.token_position(self._page_key, query.digest(), page_token)
        w = listing.where(query.since_us, query.until_us, query.verdict, after, "?")
        # First the keys and sizes (length() of a BLOB does not read it), then the rows chosen.
        sql = ("SELECT decided_at_us, decision_id, length(project) + length(assessment) "
               "+ length(profile_json) FROM decisions" + w.sql
               + " ORDER BY decided_at_us DESC, decision_id DESC LIMIT ?")
        with self._lock:
            keys = self._conn.execute(sql, [*w.args, limit + 1]).fetchall()
        chosen, more = listing.choose(keys, limit, max_bytes)
        page = _rows(self._conn, self._lock, chosen)
        return page, (make_token(self._page_key, query.digest(), page[-1].decided_at_us,
                                 page[-1].decision_id) if more and page else "")

    def scan(self, since_us: int | None = None, until_us: int | None = None,
             chunk: int = 500) -> Iterator[StoredDecision]:
        """Every decision in [since, until), oldest first, read `chunk` rows at a time: an
        export or a replay holds one chunk, never the whole store."""
        after: tuple[int, str] | None = None
        while True:
            w = listing.where(since_us, until_us, None, after, "?", ascending=True)
            with self._lock:
                rows = [StoredDecision(*r) for r in self._conn.execute(
                    f"SELECT {_COLUMNS} FROM decisions{w.sql} "
                    "ORDER BY decided_at_us, decision_id LIMIT ?", [*w.args, chunk])]
            yield from rows
            if len(rows) < chunk:
                return
            after = rows[-1].decided_at_us, rows[-1].decision_id

    def purge(self, cutoff_us: int, batch: int = 1000) -> int:
        """Delete decisions made before `cutoff_us`, `batch` rows per transaction (a writer
        never waits long behind a purge); returns how many."""
        removed = 0
        while True:
            with self._lock, self._conn:
                cur = self._conn.execute(
                    "DELETE FROM decisions WHERE rowid IN (SELECT rowid FROM decisions "
                    "WHERE decided_at_us < ? LIMIT ?)", (cutoff_us, batch))
            removed += cur.rowcount
            if cur.rowcount < batch:
                return removed

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])
