"""One store interface, two backends, chosen from the value of --audit-db.

A path is an SQLite file (embedded, one replica); a `postgresql://` URL is a PostgreSQL
database that every replica shares. Both honour the same behaviour: the same rows, the same
order, signed page tokens, pages bounded by bytes, purges in small batches.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Protocol

from ftgate.audit.outcomes import Recorded, StoredOutcome
from ftgate.audit.postgres import PostgresStore, is_url, redact
from ftgate.audit.store import DecisionQuery, DecisionStore, StoredDecision, check_file
from ftgate.domain.waiver import Waiver


class AuditStore(Protocol):
    """What the writer, the queries, export and replay need of a decision store."""

    @property
    def target(self) -> str:
        """The store, for logs (never a password)."""
        ...

    def insert(self, rows: Sequence[StoredDecision]) -> int: ...
    def get(self, decision_id: str) -> StoredDecision | None: ...
    def list(self, query: DecisionQuery, limit: int, page_token: str = "",
             max_bytes: int | None = None) -> tuple[list[StoredDecision], str]: ...
    def scan(self, since_us: int | None = None, until_us: int | None = None,
             chunk: int = 500) -> Iterator[StoredDecision]: ...
    def purge(self, cutoff_us: int, batch: int = 1000) -> int: ...
    def count(self) -> int: ...
    def record_outcome(self, outcome: StoredOutcome) -> Recorded | None: ...
    def latest_outcomes(self, since_us: int | None = None,
                        until_us: int | None = None) -> dict[str, StoredOutcome]: ...
    def outcome_history(self, decision_id: str) -> tuple[StoredOutcome, ...]: ...
    def grant_waiver(self, waiver: Waiver) -> None: ...
    def revoke_waiver(self, waiver_id: str, at_us: int) -> Waiver | None: ...
    def list_waivers(self, project_name: str | None = None) -> tuple[Waiver, ...]: ...
    def ping(self) -> None: ...
    def replaced(self) -> bool: ...
    def save_copy(self) -> Path: ...
    def close(self) -> None: ...


def describe(target: str | Path) -> str:
    """--audit-db as it may be logged."""
    return redact(str(target)) if is_url(target) else str(target)


def open_store(target: str | Path, readonly: bool = False) -> AuditStore:
    """The store --audit-db names. PostgreSQL: connects lazily (a store that is down now is
    written to when it is back)."""
    if is_url(target):
        return PostgresStore(str(target))
    return DecisionStore(target, readonly=readonly)


def check_store(target: str | Path, migrate: bool = False) -> None:
    """At start: the store is usable (AuditFileError naming it and what to do otherwise).
    SQLite: the file is checked and created. PostgreSQL: reachable, and its schema is this
    ftgate's (applied first when `migrate`)."""
    if not is_url(target):
        check_file(target)
        return
    from ftgate.audit.errors import StoreUnavailable
    from ftgate.audit.store import AuditFileError

    store = PostgresStore(str(target))
    try:
        if migrate:
            store.migrate()
        store.check_schema()
    except StoreUnavailable as exc:
        raise AuditFileError(f"{exc}: check the URL, the credentials (PGPASSFILE, PG* "
                             f"variables) and that PostgreSQL runs") from None
    finally:
        store.close()
