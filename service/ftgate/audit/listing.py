"""What both stores share of a listing: the WHERE of a query and the choice of a page.

Kept in one place so that SQLite and PostgreSQL answer ListDecisions alike: the same order
(newest first, then decision id), the same signed page tokens, the same byte bound per page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ftgate.audit.page_token import read_token


@dataclass(frozen=True, slots=True)
class Where:
    """A WHERE clause ('' when none) and its arguments, in the store's placeholder style."""

    sql: str
    args: tuple[object, ...]


def where(since_us: int | None, until_us: int | None, verdict: str | None,
          after: tuple[int, str] | None, mark: str, ascending: bool = False) -> Where:
    """The filters of a listing; `after` is the position a page token points past (newest
    first: older than it; `ascending`: newer than it)."""
    parts: list[str] = []
    args: list[object] = []
    if since_us is not None:
        parts.append(f"decided_at_us >= {mark}")
        args.append(since_us)
    if until_us is not None:
        parts.append(f"decided_at_us < {mark}")
        args.append(until_us)
    if verdict:
        parts.append(f"verdict = {mark}")
        args.append(verdict)
    if after is not None:
        op = ">" if ascending else "<"
        parts.append(f"(decided_at_us {op} {mark} OR (decided_at_us = {mark} "
                     f"AND decision_id {op} {mark}))")
        args += [after[0], after[0], after[1]]
    return Where(" WHERE " + " AND ".join(parts) if parts else "", tuple(args))


def token_position(key: bytes, digest: bytes, page_token: str) -> tuple[int, str] | None:
    """Where a page token points (BadPageToken when it is not one of this store's)."""
    return read_token(key, digest, page_token) if page_token else None


def choose(keys: Sequence[tuple[int, str, int]], limit: int,
           max_bytes: int | None) -> tuple[list[str], bool]:
    """From (decided_at_us, decision_id, size) rows, newest first, the ids of one page: at most
    `limit`, and past the first only as many as fit in `max_bytes`; and whether more follow."""
    chosen: list[str] = []
    total = 0
    for _at, decision_id, size in keys[:limit]:
        if chosen and max_bytes is not None and total + size > max_bytes:
            break
        chosen.append(decision_id)
        total += size
    return chosen, len(chosen) < len(keys)
