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
    """A store (audit/stores.py: an SQLite file path, or a postgresql:// URL), checked for
    form, not reached."""
    from ftgate.audit.stores import BadTarget, parse

    try:
        return parse(text)
    except BadTarget as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    from ftgate.audit.database import AuditFileError
    from ftgate.audit.stores import check_readable

    target = audit_target(text)
    try:
        check_readable(target)
    except AuditFileError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return target
