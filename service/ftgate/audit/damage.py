"""Stored rows that cannot be read back: what is wrong with one, said for that row alone.

A row is damaged when a column holds something else than what ftgate wrote there: stored
messages (the input, the answer) whose bytes do not decode, text that is not text (a blob, or
bytes that are not UTF-8, in an SQLite file written by hand or damaged on disk), JSON columns
that are not JSON. Readers (GetDecision, ListDecisions, export, replay) report such a row by its
id and go on with the others: one damaged row never stops a page, an export or a replay.
"""

from __future__ import annotations

import json

from google.protobuf.message import DecodeError

from ftgate.audit.errors import StoreError
from ftgate.audit.store import StoredDecision
from ftgate.v1 import advisor_pb2 as pb

_TEXT = ("decision_id", "ruleset_version", "project_name", "verdict", "findings",
         "profile_json")


class DamagedRecord(StoreError):
    """One stored decision that cannot be read back (the others can)."""

    def __init__(self, decision_id: str, why: str) -> None:
        super().__init__(f"decision {decision_id}: its stored record is damaged ({why})")
        self.decision_id, self.why = decision_id, why


def decision_id_of(row: StoredDecision) -> str:
    """The row's id as it can be shown, even when damaged."""
    value: object = row.decision_id
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def problem(row: StoredDecision, json_columns: bool = False) -> str | None:
    """What makes this row unreadable, or None. `json_columns`: also parse findings and
    profile_json (an export embeds them as they are)."""
    for name in _TEXT:
        if not isinstance(getattr(row, name), str):
            return f"column {name} holds {_kind(getattr(row, name))}, not text"
    if row.outcome is not None and not isinstance(row.outcome, str):
        return f"column outcome holds {_kind(row.outcome)}, not text"
    if not isinstance(row.decided_at_us, int):
        return f"column decided_at_us holds {_kind(row.decided_at_us)}, not a whole number"
    for name, message in (("project", pb.ProjectProfile), ("assessment", pb.Assessment)):
        value = getattr(row, name)
        if not isinstance(value, bytes):
            return f"column {name} holds {_kind(value)}, not bytes"
        try:
            message.FromString(value)
        except DecodeError:
            return f"column {name}: the stored message does not decode"
    if json_columns:
        for name in ("findings", "profile_json"):
            try:
                json.loads(getattr(row, name))
            except ValueError:
                return f"column {name} is not JSON"
    return None


def _kind(value: object) -> str:
    if value is None:
        return "nothing (NULL)"
    if isinstance(value, bytes):
        return "bytes that are not UTF-8 text" if not _utf8(value) else "a blob"
    if isinstance(value, int | float):
        return "a number"
    return "text" if isinstance(value, str) else "an unexpected value"


def _utf8(value: bytes) -> bool:
    try:
        value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
