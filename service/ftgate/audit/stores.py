"""Audit stores by URL scheme: the one place that knows which backends exist.

`--audit-db` (serve) and `--db`/`--audit-db` (decisions, outcomes, export, rules replay, audit
migrate) name a store; every command asks this registry what it is, whether it is there, how to
open, check and migrate it, and how to name it in a log. A path is an SQLite file; a
`postgresql://` (or `postgres://`) URL a PostgreSQL database. A new backend is one `StoreKind`
registered here (its module imported only when a target of its scheme is used).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ftgate.audit.backend import AuditStore
from ftgate.audit.pg_schema import POSTGRES_SCHEMES

Target = str | Path


class BadTarget(ValueError):
    """A store named in a form no backend reads (the message says what was expected)."""


@dataclass(frozen=True, slots=True)
class StoreKind:
    """One backend: the URL schemes it answers (none: the backend of plain paths)."""

    name: str
    schemes: tuple[str, ...]
    parse: Callable[[str], Target]  # a flag's text → its target; BadTarget when unusable
    open: Callable[[Target, bool], AuditStore]  # (target, readonly)
    check: Callable[[Target, bool], None]  # at start: usable (AuditFileError); (target, migrate)
    exists: Callable[[Target], bool]  # a store to read is there (not reached: a URL is)
    describe: Callable[[Target], str]  # for logs and messages (never a password)
    # A store to read is one of ours (AuditFileError naming it otherwise); `quick`: a cheap look.
    check_readable: Callable[[Target, bool], None] = lambda target, quick: None
    # Its schema brought to this ftgate's version; None when the backend has no migrations
    # (the server makes its schema).
    migrate: Callable[[Target], Migrated] | None = None


@dataclass(frozen=True, slots=True)
class Migrated:
    """What a migration did: the migrations applied ("0003 name"), the schema version now."""

    applied: tuple[str, ...]
    version: int


_KINDS: list[StoreKind] = []


def register(kind: StoreKind) -> None:
    """Add a backend (schemes first; the one without schemes reads every other target)."""
    _KINDS.insert(0 if kind.schemes else len(_KINDS), kind)


def kinds() -> tuple[StoreKind, ...]:
    return tuple(_KINDS)


def kind_of(target: Target) -> StoreKind:
    """The backend of a target: the one its URL scheme names, else the one of plain paths."""
    text = str(target)
    for kind in _KINDS:
        if kind.schemes and text.startswith(kind.schemes):
            return kind
    for kind in _KINDS:
        if not kind.schemes:
            return kind
    raise BadTarget(f"expected {expected()}, got {text[:60]!r}")


def expected() -> str:
    """The forms of a store, in words (for messages)."""
    forms = [("an SQLite file path" if k.name == "sqlite" else f"a {k.name} file path")
             if not k.schemes else f"a {k.schemes[0]} URL" for k in reversed(_KINDS)]
    return " or ".join(forms)


def parse(text: str) -> Target:
    """A flag's text as a store target (its form checked, the store not reached)."""
    if not text:
        raise BadTarget(f"expected {expected()}")
    if "://" in text and not any(text.startswith(k.schemes) for k in _KINDS if k.schemes):
        raise BadTarget(f"expected {expected()}, got a {text.split('://')[0]}:// URL")
    return kind_of(text).parse(text)


def open_store(target: Target, readonly: bool = False) -> AuditStore:
    """The store a target names (PostgreSQL connects lazily: a store that is down now is
    written to when it is back)."""
    return kind_of(target).open(target, readonly)


def check_store(target: Target, migrate: bool = False) -> None:
    """At start: the store is usable (AuditFileError naming it and what to do otherwise)."""
    kind_of(target).check(target, migrate)


def exists(target: Target) -> bool:
    """A store to read is there (an SQLite file that exists; a URL is not reached)."""
    return kind_of(target).exists(target)


def check_readable(target: Target, quick: bool = False) -> None:
    """A store to read is one of ours (AuditFileError naming it otherwise)."""
    kind_of(target).check_readable(target, quick)


def describe(target: Target) -> str:
    """A target as it may be logged."""
    return kind_of(target).describe(target)


# ---- the two backends ---------------------------------------------------------------------

def _sqlite_parse(text: str) -> Target:
    from ftgate.audit.database import AuditFileError, refuse_special

    try:
        refuse_special(text)  # a FIFO or a device: refused by name, never opened
    except AuditFileError as exc:
        raise BadTarget(str(exc)) from None
    return Path(text)


def _sqlite_open(target: Target, readonly: bool) -> AuditStore:
    from ftgate.audit.store import DecisionStore

    return DecisionStore(target, readonly=readonly)


def _sqlite_check(target: Target, migrate: bool) -> None:
    from ftgate.audit.store import check_file

    check_file(target)


def _sqlite_readable(target: Target, quick: bool) -> None:
    from ftgate.audit.database import check_source

    check_source(target, quick_check=quick)


register(StoreKind("sqlite", (), _sqlite_parse, _sqlite_open, _sqlite_check,
                   exists=lambda target: Path(target).is_file(), describe=str,
                   check_readable=_sqlite_readable))



def _pg_parse(text: str) -> Target:
    from psycopg import ProgrammingError, conninfo

    try:
        conninfo.conninfo_to_dict(text)
    except ProgrammingError as exc:
        raise BadTarget(f"not a usable PostgreSQL URL ({str(exc).splitlines()[0]}); expected "
                        f"postgresql://USER@HOST:PORT/DATABASE") from None
    return text


def _pg_open(target: Target, readonly: bool) -> AuditStore:
    from ftgate.audit.postgres import PostgresStore

    return PostgresStore(str(target))


def _pg_check(target: Target, migrate: bool) -> None:
    from ftgate.audit.errors import StoreUnavailable
    from ftgate.audit.postgres import PostgresStore
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


def _pg_describe(target: Target) -> str:
    from ftgate.audit.postgres import redact

    return redact(str(target))


def _pg_migrate(target: Target) -> Migrated:
    """SchemaError when the store's schema is newer than this ftgate knows; StoreUnavailable."""
    from ftgate.audit.pg_schema import LATEST
    from ftgate.audit.postgres import PostgresStore

    store = PostgresStore(str(target))
    try:
        applied = store.migrate()
    finally:
        store.close()
    return Migrated(tuple(f"{m.version:04d} {m.name}" for m in applied), LATEST)


register(StoreKind("postgresql", POSTGRES_SCHEMES, _pg_parse, _pg_open, _pg_check,
                   exists=lambda target: True, describe=_pg_describe, migrate=_pg_migrate))
