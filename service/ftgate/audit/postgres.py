"""The decision store on PostgreSQL: one database for every replica.

Same rows, order, page tokens and page bounds as the SQLite store (audit/listing.py); the
writer's rows go in with one `executemany` (pipelined) per batch, one transaction, committed
durably (`synchronous_commit` as the server has it, on by default).

Connections: the writer thread has one of its own; readers (GetDecision, ListDecisions, export,
replay) take one from a small stack and put it back. A connection that fails is dropped and the
call raises StoreUnavailable; the next call connects anew, so nothing needs a restart when
PostgreSQL comes back. Credentials come from the URL, PGPASSFILE / ~/.pgpass or the PG*
variables (libpq reads them); only `target` (the URL without its password) is ever logged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import conninfo

from ftgate.audit import listing, outcomes, pg_schema, waivers
from ftgate.audit.errors import StoreError, StoreUnavailable
from ftgate.audit.outcomes import Recorded, StoredOutcome
from ftgate.audit.page_token import make_token
from ftgate.audit.store import AuditFileError, DecisionQuery, StoredDecision
from ftgate.domain.waiver import Waiver

Conn = psycopg.Connection[Any]
URL_PREFIXES = pg_schema.POSTGRES_SCHEMES
_COLUMNS = ("decision_id, decided_at_us, ruleset_version, project_name, verdict, outcome, "
            "findings, profile_json, project, assessment")
_INSERT = (f"INSERT INTO decisions ({_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
           "ON CONFLICT (decision_id) DO NOTHING")
_CONNECT_TIMEOUT = 5  # seconds
_STATEMENT_TIMEOUT_MS = 30_000
_KEEP_READERS = 4


def is_url(target: object) -> bool:
    return str(target).startswith(URL_PREFIXES)


def redact(url: str) -> str:
    """The URL without its password (for logs and messages)."""
    try:
        parts = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "postgresql://(unreadable URL)"
    host = parts.get("host") or "(default host)"
    port = f":{parts['port']}" if parts.get("port") else ""
    user = f"{parts['user']}@" if parts.get("user") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def _row(r: Sequence[Any]) -> StoredDecision:
    return StoredDecision(str(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]),
                          None if r[5] is None else str(r[5]), str(r[6]), str(r[7]),
                          bytes(r[8]), bytes(r[9]))


class PostgresStore:
    """Reads and writes decisions in PostgreSQL; safe to share between threads."""

    def __init__(self, url: str) -> None:
        if not is_url(url):
            raise AuditFileError(f"not a PostgreSQL URL: {redact(url)}")
        self.url = url
        self.target = redact(url)
        self._writer: Conn | None = None
        self._write_lock = threading.Lock()
        self._readers: list[Conn] = []
        self._readers_lock = threading.Lock()
        self._page_key: bytes | None = None

    # -- connections

    def connect(self) -> Conn:
        """A new connection; StoreUnavailable when PostgreSQL cannot be reached."""
        try:
            conn = psycopg.connect(
                self.url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT,
                application_name="ftgate",
                options=f"-c statement_timeout={_STATEMENT_TIMEOUT_MS}")
        except psycopg.Error as exc:
            raise StoreUnavailable(f"cannot reach the audit store {self.target}: "
                                   f"{_first_line(exc)}") from None
        return conn

    @contextmanager
    def _reader(self) -> Iterator[Conn]:
        with self._readers_lock:
            conn = self._readers.pop() if self._readers else None
        conn = conn or self.connect()
        try:
            yield conn
        except psycopg.OperationalError as exc:
            conn.close()
            raise StoreUnavailable(f"audit store {self.target}: {_first_line(exc)}") from None
        except psycopg.Error as exc:
            conn.close()
            raise StoreError(f"audit store {self.target}: {_first_line(exc)}") from None
        except BaseException:  # ours (a bad page token): the connection is still good
            self._put_back(conn)
            raise
        self._put_back(conn)

    def _put_back(self, conn: Conn) -> None:
        if not conn.closed and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE:
            with self._readers_lock:
                if len(self._readers) < _KEEP_READERS:
                    self._readers.append(conn)
                    return
        conn.close()

    def ping(self) -> None:
        """StoreUnavailable unless PostgreSQL answers."""
        with self._reader() as conn:
            conn.execute("SELECT 1")

    def close(self) -> None:
        with self._readers_lock:
            readers, self._readers = self._readers, []
        for conn in readers:
            conn.close()
        with self._write_lock:
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def replaced(self) -> bool:
        return False  # (a file's concern: a database is not deleted under an open connection)

    def save_copy(self) -> Path:
        raise StoreError("a PostgreSQL store is never replaced under its connections")

    # -- schema

    def migrate(self) -> list[pg_schema.Migration]:
        with self._reader() as conn:
            return pg_schema.migrate(conn, self.target)

    def check_schema(self) -> None:
        with self._reader() as conn:
            pg_schema.check(conn, self.target)

    def schema_version(self) -> int:
        with self._reader() as conn:
            return pg_schema.current_version(conn)

    # -- writes

    def insert(self, rows: Sequence[StoredDecision]) -> int:
        """Write rows in one transaction; a decision id already stored is kept as it was.
        StoreUnavailable when PostgreSQL cannot be reached (the rows may or may not be in)."""
        values = [(r.decision_id, r.decided_at_us, r.ruleset_version, r.project_name,
                   r.verdict, r.outcome, r.findings, r.profile_json, r.project, r.assessment)
                  for r in rows]
        with self._write_lock:
            self._write(lambda conn: conn.cursor().executemany(_INSERT, values))
        return len(values)

    def _write(self, work: Callable[[Conn], object]) -> None:
        if self._writer is None or self._writer.closed:
            self._writer = self.connect()
        conn = self._writer
        try:
            with conn.transaction():
                work(conn)
        except psycopg.OperationalError as exc:
            conn.close()
            self._writer = None
            raise StoreUnavailable(f"audit store {self.target}: {_first_line(exc)}") from None
        except psycopg.Error as exc:
            raise StoreError(f"audit store {self.target}: {_first_line(exc)}") from None
        except UnicodeEncodeError as exc:  # text that is not UTF-8 (a lone surrogate)
            raise StoreError(f"audit store {self.target}: text that is not valid UTF-8 "
                             f"({exc.reason})") from None

    def purge(self, cutoff_us: int, batch: int = 1000) -> int:
        """Delete decisions made before `cutoff_us`, and their outcomes, `batch` rows per
        transaction; returns how many decisions."""
        removed = 0
        while True:
            deleted = self._purge_batch(cutoff_us, batch)
            removed += deleted
            if deleted < batch:
                break
        while self._purge_outcomes_batch(batch) == batch:  # then their outcomes
            pass
        return removed

    def _purge_outcomes_batch(self, batch: int) -> int:
        counted: list[int] = []
        with self._write_lock:
            self._write(lambda conn: counted.append(outcomes.purge_orphans(conn, "%s", batch)))
        return counted[0]

    def _purge_batch(self, cutoff_us: int, batch: int) -> int:
        counted: list[int] = []
        with self._write_lock:
            self._write(lambda conn: counted.append(conn.execute(
                "DELETE FROM decisions WHERE decision_id IN (SELECT decision_id FROM "
                "decisions WHERE decided_at_us < %s LIMIT %s)", (cutoff_us, batch)).rowcount))
        return counted[0]

    # -- reads

    def _key(self, conn: Conn) -> bytes:
        if self._page_key is None:
            row = conn.execute(
                "SELECT value FROM ftgate_meta WHERE name = 'page_token_key'").fetchone()
            if row is None:
                raise StoreError(f"audit store {self.target} has no page token key: run "
                                 f"`ftgate audit migrate`")
            self._page_key = bytes(row[0])
        return self._page_key

    def get(self, decision_id: str) -> StoredDecision | None:
        with self._reader() as conn:
            row = conn.execute(f"SELECT {_COLUMNS} FROM decisions WHERE decision_id = %s",
                               (decision_id,)).fetchone()
        return _row(row) if row else None

    def list(self, query: DecisionQuery, limit: int, page_token: str = "",
             max_bytes: int | None = None) -> tuple[list[StoredDecision], str]:
        """Newest first; the page and the token of the next one ('' on the last) (as
        DecisionStore.list: octet_length() of a stored value does not read it)."""
        with self._reader() as conn:
            key = self._key(conn)
            after = listing.token_position(key, query.digest(), page_token)
            w = listing.where(query.since_us, query.until_us, query.verdict, after, "%s")
            keys = conn.execute(
                "SELECT decided_at_us, decision_id, octet_length(project) + "
                "octet_length(assessment) + octet_length(profile_json) FROM decisions" + w.sql
                + " ORDER BY decided_at_us DESC, decision_id DESC LIMIT %s",
                (*w.args, limit + 1)).fetchall()
            chosen, more = listing.choose(
                [(int(k[0]), str(k[1]), int(k[2])) for k in keys],
                limit, max_bytes)
            found = {}
            for i in range(0, len(chosen), 50):
                for r in conn.execute(f"SELECT {_COLUMNS} FROM decisions "
                                      "WHERE decision_id = ANY(%s)", (chosen[i:i + 50],)):
                    found[str(r[0])] = _row(r)
        page = [found[i] for i in chosen if i in found]
        return page, (make_token(key, query.digest(), page[-1].decided_at_us,
                                 page[-1].decision_id) if more and page else "")

    def scan(self, since_us: int | None = None, until_us: int | None = None,
             chunk: int = 500) -> Iterator[StoredDecision]:
        """Every decision in [since, until), oldest first, `chunk` rows at a time."""
        after: tuple[int, str] | None = None
        while True:
            w = listing.where(since_us, until_us, None, after, "%s", ascending=True)
            with self._reader() as conn:
                rows = [_row(r) for r in conn.execute(
                    f"SELECT {_COLUMNS} FROM decisions{w.sql} "
                    "ORDER BY decided_at_us, decision_id LIMIT %s", (*w.args, chunk))]
            yield from rows
            if len(rows) < chunk:
                return
            after = rows[-1].decided_at_us, rows[-1].decision_id

    def count(self) -> int:
        with self._reader() as conn:
            row = conn.execute("SELECT count(*) FROM decisions").fetchone()
        return int(row[0]) if row else 0

    # -- outcomes (audit/outcomes.py)

    def record_outcome(self, outcome: StoredOutcome) -> Recorded | None:
        """Store an outcome of a stored decision; None when no decision has its id."""
        found: list[Recorded | None] = []
        with self._write_lock:
            self._write(lambda conn: found.append(outcomes.insert(conn, "%s", outcome)))
        return found[0]

    def latest_outcomes(self, since_us: int | None = None,
                        until_us: int | None = None) -> dict[str, StoredOutcome]:
        with self._reader() as conn:
            return outcomes.latest(conn, "%s", since_us, until_us)

    def outcome_history(self, decision_id: str) -> tuple[StoredOutcome, ...]:
        with self._reader() as conn:
            return outcomes.history(conn, "%s", decision_id)

    # -- waivers (audit/waivers.py)

    def grant_waiver(self, waiver: Waiver) -> None:
        """Store a new waiver."""
        with self._write_lock:
            self._write(lambda conn: waivers.insert(conn, "%s", waiver))

    def revoke_waiver(self, waiver_id: str, at_us: int) -> Waiver | None:
        """Revoke a waiver (the first revocation stands); None when no waiver has this id."""
        found: list[Waiver | None] = []
        with self._write_lock:
            self._write(lambda conn: found.append(waivers.revoke(conn, "%s", waiver_id, at_us)))
        return found[0]

    def list_waivers(self, project_name: str | None = None) -> tuple[Waiver, ...]:
        """Every waiver (of one project when given), newest first."""
        with self._reader() as conn:
            return waivers.every(conn, "%s", project_name)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
