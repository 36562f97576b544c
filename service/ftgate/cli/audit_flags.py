"""Flags of the audit store, shared by serve, audit, decisions and rules replay (argparse
types: a bad value is exit 2 naming the flag)."""

from __future__ import annotations

import argparse
import math
import re
from pathlib import Path

# Where serve and `audit migrate` find the store when --audit-db is not given (a Secret's URL).
AUDIT_DB_ENV = "FTGATE_AUDIT_DB"
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT_SECONDS = {"": 86400, "s": 1, "m": 60, "h": 3600, "d": 86400}


def audit_target(text: str) -> Path | str:
    """An SQLite file path, or a postgresql:// URL (checked for form, not reached)."""
    from ftgate.audit.postgres import is_url

    if is_url(text):
        from psycopg import ProgrammingError, conninfo

        try:
            conninfo.conninfo_to_dict(text)
        except ProgrammingError as exc:
            raise argparse.ArgumentTypeError(
                f"not a usable PostgreSQL URL ({str(exc).splitlines()[0]}); expected "
                f"postgresql://USER@HOST:PORT/DATABASE") from None
        return text
    if "://" in text:
        raise argparse.ArgumentTypeError(
            f"expected an SQLite file path or a postgresql:// URL, got a {text.split('://')[0]}"
            f":// URL")
    if not text:
        raise argparse.ArgumentTypeError("expected an SQLite file path or a postgresql:// URL")
    from ftgate.audit.database import AuditFileError, refuse_special

    try:
        refuse_special(text)  # a FIFO or a device: refused by name, never opened
    except AuditFileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return Path(text)


def retention(text: str) -> float:
    """A retention such as 90d, 12h, 30m, 3600s (a bare number: days); 0 keeps forever.
    In seconds."""
    match = _DURATION.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(
            f"expected a duration such as 90d, 12h or 30m (0: keep forever), got {text!r}")
    seconds = float(match[1]) * _UNIT_SECONDS[match[2]]
    if not math.isfinite(seconds):
        raise argparse.ArgumentTypeError(f"expected a finite duration, got {text!r}")
    return seconds


def audit_source(text: str) -> Path | str:
    """A store to read: a postgresql:// URL, or an existing SQLite file that is an ftgate
    audit store (checked without blocking on a FIFO or reading a device)."""
    from ftgate.audit.database import AuditFileError, check_source

    target = audit_target(text)
    if isinstance(target, str):
        return target
    try:
        check_source(target)
    except AuditFileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return target
