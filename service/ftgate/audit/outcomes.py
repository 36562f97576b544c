"""Outcomes: what became of the project of a decision, stored beside the decision.

One row per report, never updated: a later report of the same decision is a new row, and the
latest (highest `seq`) is the one reports use; the earlier ones stay as history. Outcomes go
with their decision when retention purges it. Outcomes are
kept in their own table so that the decisions table (and its readers) stay as they were.

The SQL here is shared by both backends: SQLite (`?` marks) and PostgreSQL (`%s` marks); each
store runs it on its own connection, in its own transaction (audit/store.py, audit/postgres.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

OUTCOMES_SCHEMA = """
CREATE TABLE IF NOT EXISTS outcomes (
  seq                       INTEGER PRIMARY KEY,  -- order of the reports: the highest wins
  decision_id               TEXT NOT NULL,        -- decisions.decision_id
  recorded_at_us            INTEGER NOT NULL,     -- microseconds since the Unix epoch (UTC)
  fine_tuned                INTEGER NOT NULL,     -- 0 or 1
  met_target                INTEGER,              -- 0, 1 or NULL (not reported)
  measured_score            REAL,
  monthly_savings_usd       REAL,
  requests_per_day          REAL,
  retraining_runs_last_year INTEGER,
  note                      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outcomes_by_decision ON outcomes (decision_id, seq);
"""
OUTCOMES_PG = (
    """CREATE TABLE outcomes (
         seq                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
         decision_id               text COLLATE "C" NOT NULL,
         recorded_at_us            bigint NOT NULL,
         fine_tuned                boolean NOT NULL,
         met_target                boolean,
         measured_score            double precision,
         monthly_savings_usd       double precision,
         requests_per_day          double precision,
         retraining_runs_last_year bigint,
         note                      text NOT NULL)""",
    "CREATE INDEX outcomes_by_decision ON outcomes (decision_id, seq)",
)
_COLUMNS = ("decision_id, recorded_at_us, fine_tuned, met_target, measured_score, "
            "monthly_savings_usd, requests_per_day, retraining_runs_last_year, note")


@dataclass(frozen=True, slots=True)
class StoredOutcome:
    """One outcome report; None: not reported."""

    decision_id: str
    recorded_at_us: int
    fine_tuned: bool
    met_target: bool | None = None
    measured_score: float | None = None
    monthly_savings_usd: float | None = None
    requests_per_day: float | None = None
    retraining_runs_last_year: int | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Recorded:
    """What recording an outcome found: the decision's verdict, and whether an earlier outcome
    of it is now replaced."""

    verdict: str
    replaced: bool


def _sql(text: str, mark: str) -> str:
    return text.replace("?", mark)


def _optional_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _optional_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _outcome(r: Sequence[Any]) -> StoredOutcome:
    return StoredOutcome(str(r[0]), int(r[1]), bool(r[2]), _optional_bool(r[3]),
                         _optional_float(r[4]), _optional_float(r[5]), _optional_float(r[6]),
                         None if r[7] is None else int(r[7]), str(r[8]))


def insert(conn: Any, mark: str, outcome: StoredOutcome) -> Recorded | None:
    """Store `outcome` (inside the caller's transaction); None when no decision has its id."""
    found = conn.execute(_sql("SELECT verdict FROM decisions WHERE decision_id = ?", mark),
                         (outcome.decision_id,)).fetchone()
    if found is None:
        return None
    earlier = conn.execute(_sql("SELECT count(*) FROM outcomes WHERE decision_id = ?", mark),
                           (outcome.decision_id,)).fetchone()
    o = outcome
    conn.execute(_sql(f"INSERT INTO outcomes ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)", mark),
                 (o.decision_id, o.recorded_at_us, o.fine_tuned, o.met_target, o.measured_score,
                  o.monthly_savings_usd, o.requests_per_day, o.retraining_runs_last_year,
                  o.note))
    return Recorded(str(found[0]), int(earlier[0]) > 0)


def latest(conn: Any, mark: str, since_us: int | None,
           until_us: int | None) -> dict[str, StoredOutcome]:
    """The latest outcome of each decision made in [since, until), by decision id."""
    where, args = [], []
    if since_us is not None:
        where.append("d.decided_at_us >= ?")
        args.append(since_us)
    if until_us is not None:
        where.append("d.decided_at_us < ?")
        args.append(until_us)
    sql = (f"SELECT {', '.join('o.' + c for c in _COLUMNS.split(', '))} FROM outcomes o "
           "JOIN decisions d ON d.decision_id = o.decision_id"
           + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY o.seq")
    found: dict[str, StoredOutcome] = {}
    for r in conn.execute(_sql(sql, mark), args):
        found[str(r[0])] = _outcome(r)  # a later report replaces an earlier one
    return found


def history(conn: Any, mark: str, decision_id: str) -> tuple[StoredOutcome, ...]:
    """Every outcome of a decision, oldest first."""
    return tuple(_outcome(r) for r in conn.execute(
        _sql(f"SELECT {_COLUMNS} FROM outcomes WHERE decision_id = ? ORDER BY seq", mark),
        (decision_id,)))


def purge_orphans(conn: Any, mark: str, batch: int) -> int:
    """Delete up to `batch` outcomes whose decision is gone (purged by retention); how many."""
    cur = conn.execute(_sql(
        "DELETE FROM outcomes WHERE seq IN (SELECT o.seq FROM outcomes o LEFT JOIN decisions d "
        "ON d.decision_id = o.decision_id WHERE d.decision_id IS NULL LIMIT ?)", mark), (batch,))
    return int(cur.rowcount)
