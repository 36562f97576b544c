"""Replay: the stored profiles decided again under a candidate ruleset, and what would change.

Each recorded input (the ProjectProfile as received) is validated and decided as the server
would, under the candidate's policy; its verdict and outcome are compared with the recorded
ones. The store is read a chunk at a time (AuditStore.scan): a replay over millions of
decisions holds one chunk and the changed ids. (Here, beside the validation it needs, not in
audit/: the audit package stores and reads, it decides nothing.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ftgate import enums
from ftgate.api.convert import profile_from_proto
from ftgate.audit import damage
from ftgate.audit.store import StoredDecision
from ftgate.engine import CompiledPolicy
from ftgate.errors import InvalidProfile
from ftgate.v1 import advisor_pb2 as pb

Answer = tuple[str, str | None]  # (verdict, outcome), proto names as stored


@dataclass(frozen=True, slots=True)
class Change:
    decision_id: str
    project_name: str
    before: Answer
    after: Answer


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What a candidate ruleset would have answered to the recorded decisions."""

    candidate_version: str
    replayed: int
    transitions: dict[tuple[Answer, Answer], int]  # (before, after) → how many, changed or not
    changes: tuple[Change, ...]  # verdict or outcome different, in the store's order (oldest first)
    unreadable: tuple[str, ...]  # ids of stored inputs the candidate's validation refuses
    damaged: tuple[str, ...] = ()  # ids of stored rows that cannot be read back (audit/damage.py)

    @property
    def changed(self) -> int:
        return len(self.changes)


def answer_of(policy: CompiledPolicy, row: StoredDecision) -> Answer | None:
    """What `policy` answers to the stored input; None when its validation refuses it."""
    project = pb.ProjectProfile.FromString(row.project)
    try:
        profile = profile_from_proto(project)
    except InvalidProfile:
        return None
    d = policy.decide(profile)
    return (enums.VERDICT.full(d.verdict),
            None if d.outcome is None else enums.OUTCOME.full(d.outcome))


def replay(policy: CompiledPolicy, rows: Iterable[StoredDecision]) -> ReplayReport:
    """Decide each stored input under `policy` and compare."""
    transitions: Counter[tuple[Answer, Answer]] = Counter()
    changes: list[Change] = []
    unreadable: list[str] = []
    damaged: list[str] = []
    replayed = 0
    for row in rows:
        if damage.problem(row) is not None:
            damaged.append(damage.decision_id_of(row))
            continue
        after = answer_of(policy, row)
        if after is None:
            unreadable.append(row.decision_id)
            continue
        replayed += 1
        before = (row.verdict, row.outcome)
        transitions[before, after] += 1
        if after != before:
            changes.append(Change(row.decision_id, row.project_name, before, after))
    return ReplayReport(policy.ruleset.version, replayed, dict(transitions), tuple(changes),
                        tuple(unreadable), tuple(damaged))
