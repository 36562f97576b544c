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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from ftgate.audit import listing, outcomes, waivers
from ftgate.audit.database import (
    COLUMN_NAMES,
    AuditFileError,
    check_file,
    connect,
    not_a_store,
)
from ftgate.audit.errors import StoreError, StoreUnavailable
from ftgate.audit.outcomes import Recorded, StoredOutcome
from ftgate.audit.page_token import BadPageToken, filter_digest, make_token
from ftgate.domain.waiver import Waiver

_COLUMNS = ", ".join(COLUMN_NAMES)
# Rows are fetched by id in chunks of this many, so that a page never holds a whole result set.
_FETCH_CHUNK = 50

T = TypeVar("T")

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


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """SQLite errors of a read, told as what they mean: a busy or unreachable file may pass
    (StoreUnavailable); a damaged one will not (AuditFileError, as a file that is not a store)."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        raise StoreUnavailable(f"audit log {path}: {exc}") from None
    except sqlite3.DatabaseError as exc:
        raise not_a_store(path, f"damaged: {exc}") from None


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
        try:
            with _reading(self.path):
                self._page_key = _page_key(self._conn)
        except BaseException:
            self._conn.close()
            raise
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
        try:
            with self._lock, self._conn:
                self._conn.executemany(
                    f"INSERT OR IGNORE INTO decisions ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                    values)
        except sqlite3.OperationalError as exc:  # locked, disk full, I/O: may pass
            raise StoreUnavailable(f"audit log {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"audit log {self.path}: {exc}") from None
        except UnicodeEncodeError as exc:  # text that is not UTF-8 (a lone surrogate)
            raise StoreError(f"audit log {self.path}: text that is not valid UTF-8 "
                             f"({exc.reason})") from None
        return len(values)

    def get(self, decision_id: str) -> StoredDecision | None:
        with self._lock, _reading(self.path):
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
        with self._lock, _reading(self.path):
            keys = self._conn.execute(sql, [*w.args, limit + 1]).fetchall()
        chosen, more = listing.choose(keys, limit, max_bytes)
        with _reading(self.path):
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
            with self._lock, _reading(self.path):
                rows = [StoredDecision(*r) for r in self._conn.execute(
                    f"SELECT {_COLUMNS} FROM decisions{w.sql} "
                    "ORDER BY decided_at_us, decision_id LIMIT ?", [*w.args, chunk])]
            yield from rows
            if len(rows) < chunk:
                return
            after = rows[-1].decided_at_us, rows[-1].decision_id

    def purge(self, cutoff_us: int, batch: int = 1000) -> int:
        """Delete decisions made before `cutoff_us`, and their outcomes, `batch` rows per
        transaction (a writer never waits long behind a purge); returns how many decisions."""
        removed = 0
        while True:
            with self._lock, self._conn:
                cur = self._conn.execute(
                    "DELETE FROM decisions WHERE rowid IN (SELECT rowid FROM decisions "
                    "WHERE decided_at_us < ? LIMIT ?)", (cutoff_us, batch))
            removed += cur.rowcount
            if cur.rowcount < batch:
                break
        while True:  # then the outcomes of the decisions purged
            with self._lock, self._conn:
                gone = outcomes.purge_orphans(self._conn, "?", batch)
            if gone < batch:
                return removed

    def count(self) -> int:
        with self._lock, _reading(self.path):
            return int(self._conn.execute("SELECT COUNT(*) FROM decisions").fetchone()[0])

    # -- outcomes (audit/outcomes.py)

    def record_outcome(self, outcome: StoredOutcome) -> Recorded | None:
        """Store an outcome of a stored decision; None when no decision has its id."""
        try:
            with self._lock, self._conn:
                return outcomes.insert(self._conn, "?", outcome)
        except sqlite3.OperationalError as exc:  # locked, disk full, read-only: may pass
            raise StoreUnavailable(f"audit log {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"audit log {self.path}: {exc}") from None

    def latest_outcomes(self, since_us: int | None = None,
                        until_us: int | None = None) -> dict[str, StoredOutcome]:
        """The latest outcome of each decision made in [since, until) (none in a file made
        before outcomes were stored, opened read-only)."""
        with self._lock:
            if not self._has_outcomes():
                return {}
            return outcomes.latest(self._conn, "?", since_us, until_us)

    def outcome_history(self, decision_id: str) -> tuple[StoredOutcome, ...]:
        with self._lock:
            return outcomes.history(self._conn, "?", decision_id) if self._has_outcomes() else ()

    def _has_outcomes(self) -> bool:
        return self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                  "name = 'outcomes'").fetchone() is not None

    # -- waivers (audit/waivers.py)

    def grant_waiver(self, waiver: Waiver) -> None:
        """Store a new waiver."""
        self._write_waivers(lambda: waivers.insert(self._conn, "?", waiver))

    def revoke_waiver(self, waiver_id: str, at_us: int) -> Waiver | None:
        """Revoke a waiver (the first revocation stands); None when no waiver has this id."""
        return self._write_waivers(lambda: waivers.revoke(self._conn, "?", waiver_id, at_us))

    def list_waivers(self, project_name: str | None = None) -> tuple[Waiver, ...]:
        """Every waiver (of one project when given), newest first (none in a file made before
        waivers were stored, opened read-only)."""
        with self._lock:
            if self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                  "name = 'waivers'").fetchone() is None:
                return ()
            return waivers.every(self._conn, "?", project_name)

    def _write_waivers(self, work: Callable[[], T]) -> T:
        try:
            with self._lock, self._conn:
                return work()
        except sqlite3.OperationalError as exc:  # locked, disk full, read-only: may pass
            raise StoreUnavailable(f"audit log {self.path}: {exc}") from None
        except sqlite3.Error as exc:
            raise StoreError(f"audit log {self.path}: {exc}") from None
