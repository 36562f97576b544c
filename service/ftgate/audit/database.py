"""The audit log's SQLite file: its schema, and opening it safely.

A file is used only when it is an ftgate audit log (or new): garbage, a truncated file, another
program's database or a damaged one is refused with an AuditFileError naming the file and what
to do, and never written into. `check_file` is what `serve` runs once at start.
"""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

from ftgate.audit.outcomes import OUTCOMES_SCHEMA
from ftgate.audit.waivers import WAIVERS_SCHEMA
from ftgate.errors import FtgateError
from ftgate.userfile import kind_of

# 1: decisions and meta. 2: outcomes (audit/outcomes.py), added beside them; a version 1 file
# is brought to 2 by the writer's connection (CREATE TABLE IF NOT EXISTS). 3: waivers
# (audit/waivers.py), added the same way.
SCHEMA_VERSION = 3
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
_SCHEMA += OUTCOMES_SCHEMA + WAIVERS_SCHEMA
COLUMN_NAMES = ("decision_id", "decided_at_us", "ruleset_version", "project_name", "verdict",
                "outcome", "findings", "profile_json", "project", "assessment")
_OUR_TABLES = {"decisions", "meta", "outcomes", "waivers"}


class AuditFileError(FtgateError):
    """The audit database cannot be opened or is not one of ours; the message names the file
    and what to do."""


def not_a_store(path: str | Path, why: str) -> AuditFileError:
    """The one message of a file that is not (or no longer) a usable ftgate audit store."""
    return AuditFileError(f"{path}: not an ftgate audit store ({why})")


def _special(mode: int) -> str | None:
    """What a path that is not a regular file is, in the words of every file ftgate refuses
    (userfile.kind_of): opening a FIFO would block, a device would be read or written raw."""
    return None if stat.S_ISREG(mode) else kind_of(mode)


def refuse_special(path: str | Path) -> None:
    """AuditFileError when `path` exists and is not a regular file (looked at, never opened)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return  # missing (created later) or unreachable: opening it says why
    kind = _special(mode)
    if kind is not None:
        raise not_a_store(path, f"{kind}, not a file")


def check_source(path: str | Path, quick_check: bool = False) -> None:
    """A store to read (decisions, export, replay): an existing regular file that is an ftgate
    audit log; AuditFileError otherwise, without blocking on a FIFO or reading a device.
    `quick_check`: also walk the whole file (SQLite's quick_check) for damage."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise not_a_store(path, "no such file") from None
    except OSError as exc:
        raise not_a_store(path, f"cannot be read: {exc.strerror}") from None
    kind = _special(st.st_mode)
    if kind is not None:
        raise not_a_store(path, f"{kind}, not a file")
    if st.st_size == 0:
        raise not_a_store(path, "an empty file")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
        try:
            _check_schema(conn, Path(path))
            if not _tables(conn):
                raise not_a_store(path, "an SQLite database without ftgate's tables")
            problems = _quick_check(conn) if quick_check else ["ok"]
            if problems != ["ok"]:
                raise not_a_store(path, f"damaged, SQLite quick_check: {'; '.join(problems)}")
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise _open_failure(Path(path), exc) from None



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
        return not_a_store(path, f"not a usable SQLite database: {text}; move it aside (keep "
                                 f"it to inspect), or give --audit-db another path")
    if "readonly" in text:
        return AuditFileError(f"the audit log {path} is read-only ({text}): make it and its "
                              f"directory writable by this user, or give --audit-db another path")
    return AuditFileError(f"cannot use the audit log {path}: {text}")


def _check_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse a database that holds something else than decisions: never write into it."""
    tables = _tables(conn)
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if not tables and version == 0:
        return  # a new, empty file
    columns = tuple(r[1] for r in conn.execute("PRAGMA table_info(decisions)"))
    if tables - _OUR_TABLES or version not in (0, 1, 2, SCHEMA_VERSION) or columns != COLUMN_NAMES:
        raise not_a_store(path, f"an SQLite database of something else: tables "
                                f"{', '.join(sorted(tables)) or 'none'}, user_version {version}; "
                                f"give --audit-db the path of a new file or of an ftgate "
                                f"audit log")


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {str(r[0]) for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}


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
            conn.text_factory = _text
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


def _text(value: bytes) -> str | bytes:
    """A TEXT value as read: bytes that are not UTF-8 (a damaged row) come back as bytes, for
    the readers to report that row (audit/damage.py) rather than fail the whole read."""
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value


def check_file(path: str | Path) -> None:
    """At start: check an existing audit log, read-only (one of ours? SQLite's quick check),
    then open it as the writer does (creating it when missing), so that a damaged file is
    reported, untouched, before the first decision is lost to it. AuditFileError if not."""
    path = Path(path)
    refuse_special(path)
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
            raise not_a_store(
                path, f"damaged, SQLite quick_check: {'; '.join(problems)}; restore it from a "
                      f"backup, or recover what it holds with `sqlite3 {path} .recover | "
                      f"sqlite3 NEW.db`, and move the damaged file aside")
    connect(path).close()


def _quick_check(conn: sqlite3.Connection) -> list[str]:
    try:
        return [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)")]
    except sqlite3.DatabaseError as exc:  # a page too damaged to walk
        return [str(exc)]
