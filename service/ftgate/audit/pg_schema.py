"""The PostgreSQL schema of the decision store, as numbered migrations, and their runner.

Each migration is applied once, in order, in one transaction with the others of the same run,
under an advisory lock (replicas starting together apply it once). `ftgate_schema` keeps the
versions applied. A store whose schema is newer than this ftgate knows is refused: an older
replica must not write rows a newer schema does not expect (docs/deployment.md).

Why our own runner: the schema is a few statements, the rule that matters most here is the
refusal of a newer schema (which the migration tools we looked at leave to the application),
and SQLite keeps its own schema version in `PRAGMA user_version` (audit/store.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ftgate.audit.outcomes import OUTCOMES_PG
from ftgate.audit.store import AuditFileError
from ftgate.audit.waivers import WAIVERS_PG

# The URL schemes of a PostgreSQL store (audit/stores.py registers them).
POSTGRES_SCHEMES = ("postgresql://", "postgres://")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS = (
    Migration(1, "decisions", (
        # Byte order ("C") for ids: pages continue exactly where SQLite's would.
        """CREATE TABLE decisions (
             decision_id     text COLLATE "C" PRIMARY KEY,
             decided_at_us   bigint NOT NULL,
             ruleset_version text NOT NULL,
             project_name    text NOT NULL,
             verdict         text NOT NULL,
             outcome         text,
             findings        text NOT NULL,
             profile_json    text NOT NULL,
             project         bytea NOT NULL,
             assessment      bytea NOT NULL)""",
        "CREATE INDEX decisions_by_time ON decisions (decided_at_us, decision_id)",
        "CREATE INDEX decisions_by_verdict ON decisions (verdict, decided_at_us, decision_id)",
        "CREATE TABLE ftgate_meta (name text PRIMARY KEY, value bytea NOT NULL)",
        # The key that signs page tokens, shared by every replica: 32 bytes of two random
        # (strong random, PostgreSQL 13+) UUIDs.
        """INSERT INTO ftgate_meta (name, value) VALUES ('page_token_key',
             decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''),
                    'hex'))""",
    )),
    Migration(2, "outcomes", OUTCOMES_PG),
    Migration(3, "waivers", WAIVERS_PG),
)
LATEST = MIGRATIONS[-1].version
_LOCK = 0x667467617465  # pg_advisory_xact_lock key of migrations ("ftgate")


class SchemaError(AuditFileError):
    """The database's schema is newer, older (not migrated) or not ftgate's."""


def _tables(conn: Any) -> set[str]:
    rows = conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
        "AND table_name IN ('decisions', 'ftgate_meta', 'ftgate_schema', 'outcomes', 'waivers')").fetchall()
    return {r[0] for r in rows}


def current_version(conn: Any) -> int:
    """The schema version of the database (0: empty); SchemaError when its tables are not
    ftgate's."""
    tables = _tables(conn)
    if "ftgate_schema" not in tables:
        if tables:
            raise SchemaError(
                f"the database holds {', '.join(sorted(tables))} but no ftgate_schema table: it "
                f"is not an ftgate audit store; give --audit-db another database")
        return 0
    row = conn.execute("SELECT max(version) FROM ftgate_schema").fetchone()
    return int(row[0] or 0)


def check(conn: Any, target: str) -> None:
    """Refuse a schema this ftgate cannot write: newer, or not yet migrated."""
    version = current_version(conn)
    if version > LATEST:
        raise SchemaError(
            f"the audit store {target} has schema version {version}, newer than this ftgate "
            f"knows ({LATEST}): run a newer ftgate, or give --audit-db another database")
    if version < LATEST:
        raise SchemaError(
            f"the audit store {target} has schema version {version}, this ftgate needs "
            f"{LATEST}: run `ftgate audit migrate --audit-db URL` (or serve with "
            f"--audit-migrate)")


def migrate(conn: Any, target: str) -> list[Migration]:
    """Apply the migrations the database lacks (in one transaction); the ones applied.
    SchemaError when its schema is newer than this ftgate's."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
        version = current_version(conn)  # first: a database of something else is refused
        conn.execute("CREATE TABLE IF NOT EXISTS ftgate_schema (version integer PRIMARY KEY, "
                     "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
        if version > LATEST:
            raise SchemaError(
                f"the audit store {target} has schema version {version}, newer than this "
                f"ftgate knows ({LATEST}): run a newer ftgate; nothing was changed")
        applied = [m for m in MIGRATIONS if m.version > version]
        for m in applied:
            for statement in m.statements:
                conn.execute(statement)
            conn.execute("INSERT INTO ftgate_schema (version, name) VALUES (%s, %s)",
                         (m.version, m.name))
    return applied
