"""`ftgate audit migrate`: bring a PostgreSQL audit store's schema to this ftgate's version.

Run it once before a new version of ftgate starts writing (or serve with --audit-migrate).
A store whose schema is newer than this ftgate knows is left untouched (exit 2). An SQLite
file needs no migration: the server creates and checks it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ftgate.cli.audit_flags import AUDIT_DB_ENV, audit_target
from ftgate.cli.exits import EXIT_BAD_INPUT, EXIT_ERROR
from ftgate.cli.help import HelpFormatter


def add_parser(sub: Any) -> None:
    a = sub.add_parser("audit", help="manage the decision audit store", description=__doc__,
                       formatter_class=HelpFormatter)
    asub = a.add_subparsers(dest="audit_command", required=True)
    m = asub.add_parser("migrate", help="apply the schema migrations of the audit store",
                        description=__doc__, formatter_class=HelpFormatter)
    m.add_argument("--audit-db", type=audit_target, metavar="URL",
                   help="the store: a postgresql:// URL (credentials from the URL, "
                        "PGPASSFILE or PG* variables; default: $FTGATE_AUDIT_DB)")


def _no_migrations(target: Path | str, kind: str) -> int:
    """A store without migrations (SQLite) needs none; one that is not an ftgate store is said
    to be."""
    from ftgate.audit.database import AuditFileError
    from ftgate.audit.stores import check_readable, exists

    if exists(target):
        try:
            check_readable(target, quick=True)
        except AuditFileError as exc:
            print(f"ftgate audit migrate: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    name = "an SQLite" if kind == "sqlite" else f"a {kind}"
    print(f"ftgate audit migrate: {target} is {name} file: nothing to migrate "
          f"(the server creates its schema)")
    return 0


def run(args: argparse.Namespace) -> int:
    from ftgate.audit.errors import StoreUnavailable
    from ftgate.audit.store import AuditFileError
    from ftgate.audit.stores import describe, kind_of

    if args.audit_db is None:
        value = os.environ.get(AUDIT_DB_ENV, "").strip()
        if not value:
            print(f"ftgate audit migrate: give --audit-db URL (or set {AUDIT_DB_ENV})",
                  file=sys.stderr)
            return EXIT_BAD_INPUT
        try:
            args.audit_db = audit_target(value)
        except argparse.ArgumentTypeError as exc:
            print(f"ftgate audit migrate: {AUDIT_DB_ENV}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    kind = kind_of(args.audit_db)
    if kind.migrate is None:
        return _no_migrations(args.audit_db, kind.name)
    try:
        migrated = kind.migrate(args.audit_db)
    except AuditFileError as exc:  # a schema newer than this ftgate knows
        print(f"ftgate audit migrate: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except StoreUnavailable as exc:
        print(f"ftgate audit migrate: {exc}", file=sys.stderr)
        return EXIT_ERROR
    for applied in migrated.applied:
        print(f"applied {applied}")
    print(f"{describe(args.audit_db)}: schema version {migrated.version}"
          + ("" if migrated.applied else " (already up to date)"))
    return 0
