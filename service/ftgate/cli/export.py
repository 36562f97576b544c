"""`ftgate decisions export`: stream recorded decisions out of the audit store, oldest first.

Reads the store straight (an SQLite file or a postgresql:// URL) a chunk of rows at a time:
memory stays the same for a thousand records or ten million. One JSON object a line (jsonl), or
CSV with a header; the findings and the input profile are JSON as stored.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from ftgate.audit import damage
from ftgate.audit.store import StoredDecision
from ftgate.cli.audit_flags import audit_source
from ftgate.cli.help import HelpFormatter

COLUMNS = ("decision_id", "decided_at", "ruleset_version", "project_name", "verdict", "outcome",
           "findings", "profile")


def add_parser(dsub: Any) -> None:
    e = dsub.add_parser("export", help="stream decisions out of the audit store",
                        description=__doc__, formatter_class=HelpFormatter)
    e.add_argument("--db", type=audit_source, required=True, metavar="PATH|URL",
                   help="the audit store (--audit-db of serve)")
    e.add_argument("--since", required=True,
                   help="ISO 8601 time (UTC when no offset) or an age: 30m, 2h, 7d")
    e.add_argument("--until", help="same forms as --since; exclusive (default: now)")
    e.add_argument("--format", choices=("jsonl", "csv"), default="jsonl", help="output format")
    e.add_argument("--output", type=Path, metavar="FILE", help="write here (default: stdout)")


def _when(decided_at_us: int) -> str:
    return datetime.fromtimestamp(decided_at_us / 1e6, UTC).isoformat(timespec="microseconds")


def jsonl_lines(rows: Iterator[StoredDecision]) -> Iterator[str]:
    for r in rows:
        # findings and profile_json are JSON already: embedded as stored, not parsed again.
        yield (f'{{"decision_id": {json.dumps(r.decision_id)}, '
               f'"decided_at": "{_when(r.decided_at_us)}", '
               f'"ruleset_version": {json.dumps(r.ruleset_version)}, '
               f'"project_name": {json.dumps(r.project_name, ensure_ascii=False)}, '
               f'"verdict": "{r.verdict}", "outcome": {json.dumps(r.outcome)}, '
               f'"findings": {r.findings}, "profile": {r.profile_json}}}\n')


def readable(rows: Iterator[StoredDecision], skipped: list[str]) -> Iterator[StoredDecision]:
    """The rows that can be read back; each damaged one reported on stderr (its id added to
    `skipped`) and left out: one damaged row never stops an export."""
    for r in rows:
        why = damage.problem(r, json_columns=True)
        if why is None:
            yield r
            continue
        skipped.append(damage.decision_id_of(r))
        print(f"ftgate decisions export: skipped {damage.DamagedRecord(skipped[-1], why)}",
              file=sys.stderr)


def write(rows: Iterator[StoredDecision], fmt: str, out: TextIO) -> int:
    """Write the rows in `fmt`; how many."""
    count = 0
    if fmt == "jsonl":
        for line in jsonl_lines(rows):
            out.write(line)
            count += 1
        return count
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow((r.decision_id, _when(r.decided_at_us), r.ruleset_version,
                         r.project_name, r.verdict, r.outcome or "", r.findings, r.profile_json))
        count += 1
    return count


def run(args: argparse.Namespace, since_us: int, until_us: int | None) -> int:
    """Export; the exit code. StoreError/AuditFileError propagate (the caller reports them)."""
    from ftgate.audit.stores import describe, open_store

    store = open_store(args.db, readonly=True)
    skipped: list[str] = []
    try:
        rows = readable(store.scan(since_us, until_us), skipped)
        if args.output:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                count = write(rows, args.format, out)
        else:
            try:
                count = write(rows, args.format, sys.stdout)
                sys.stdout.flush()
            except BrokenPipeError:  # the reader went away (`| head`): that is all it wanted
                sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silences the flush at exit
                return 0
    finally:
        store.close()
    damaged = f"; {len(skipped)} damaged records skipped (listed above)" if skipped else ""
    print(f"ftgate decisions export: {count} decisions from {describe(args.db)}{damaged}",
          file=sys.stderr)
    return 0
