"""Waivers in the audit store: one row per waiver, so that every replica sees the same ones.

A waiver row is written once when granted; revoking it sets `revoked_at_us` (once: the first
revocation stands). Waivers are never purged by retention: a decision made under one names it.
The SQL is shared by both backends: SQLite (`?` marks) and PostgreSQL (`%s` marks), each run
on the store's own connection and transaction (audit/store.py, audit/postgres.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ftgate.domain.waiver import Waiver

WAIVERS_SCHEMA = """
CREATE TABLE IF NOT EXISTS waivers (
  waiver_id      TEXT PRIMARY KEY,  -- a UUID
  project_name   TEXT NOT NULL,     -- matched exactly against ProjectProfile.name
  rule_ids       TEXT NOT NULL,     -- JSON: ["FM1.below-minimum", ...]
  reason         TEXT NOT NULL,
  ticket         TEXT NOT NULL,
  approved_by    TEXT NOT NULL,
  created_at_us  INTEGER NOT NULL,  -- microseconds since the Unix epoch (UTC)
  expires_at_us  INTEGER NOT NULL,
  revoked_at_us  INTEGER            -- NULL while not revoked
);
CREATE INDEX IF NOT EXISTS waivers_by_project ON waivers (project_name, created_at_us);
"""
WAIVERS_PG = (
    """CREATE TABLE waivers (
         waiver_id     text COLLATE "C" PRIMARY KEY,
         project_name  text NOT NULL,
         rule_ids      text NOT NULL,
         reason        text NOT NULL,
         ticket        text NOT NULL,
         approved_by   text NOT NULL,
         created_at_us bigint NOT NULL,
         expires_at_us bigint NOT NULL,
         revoked_at_us bigint)""",
    "CREATE INDEX waivers_by_project ON waivers (project_name, created_at_us)",
)
_COLUMNS = ("waiver_id, project_name, rule_ids, reason, ticket, approved_by, created_at_us, "
            "expires_at_us, revoked_at_us")


def _sql(text: str, mark: str) -> str:
    return text.replace("?", mark)


def _waiver(r: Sequence[Any]) -> Waiver:
    return Waiver(str(r[0]), str(r[1]), tuple(json.loads(r[2])), str(r[3]), str(r[4]),
                  str(r[5]), int(r[6]), int(r[7]), None if r[8] is None else int(r[8]))


def insert(conn: Any, mark: str, w: Waiver) -> None:
    """Store a new waiver (inside the caller's transaction)."""
    conn.execute(_sql(f"INSERT INTO waivers ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", mark),
                 (w.id, w.project_name, json.dumps(list(w.rule_ids)), w.reason, w.ticket,
                  w.approved_by, w.created_at_us, w.expires_at_us, w.revoked_at_us))


def revoke(conn: Any, mark: str, waiver_id: str, at_us: int) -> Waiver | None:
    """Revoke a waiver at `at_us` unless it already is; the waiver as stored, None when no
    waiver has this id."""
    conn.execute(_sql("UPDATE waivers SET revoked_at_us = ? WHERE waiver_id = ? AND "
                      "revoked_at_us IS NULL", mark), (at_us, waiver_id))
    return get(conn, mark, waiver_id)


def get(conn: Any, mark: str, waiver_id: str) -> Waiver | None:
    row = conn.execute(_sql(f"SELECT {_COLUMNS} FROM waivers WHERE waiver_id = ?", mark),
                       (waiver_id,)).fetchone()
    return None if row is None else _waiver(row)


def every(conn: Any, mark: str, project_name: str | None = None) -> tuple[Waiver, ...]:
    """Every waiver (of one project when given), newest first."""
    sql = f"SELECT {_COLUMNS} FROM waivers"
    args: tuple[Any, ...] = ()
    if project_name is not None:
        sql += " WHERE project_name = ?"
        args = (project_name,)
    rows = conn.execute(_sql(sql + " ORDER BY created_at_us DESC, waiver_id DESC", mark), args)
    return tuple(_waiver(r) for r in rows)
