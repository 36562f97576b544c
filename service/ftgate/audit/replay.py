"""Replay: the stored profiles decided again under a candidate ruleset, and what would change.

Each recorded input (the ProjectProfile as received) is validated and decided as the server
would, under the candidate's policy, with the waivers recorded with it (the Assessment's
waivers_applied, judged at the time it was decided: a waiver revoked or expired since still
counts for a decision made under it, and no other waiver does); its verdict and outcome are
compared with the recorded ones. The store is read a chunk at a time (AuditStore.scan): a
replay over millions of decisions holds one chunk and the changed ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ftgate import enums
from ftgate.audit import damage
from ftgate.audit.store import StoredDecision
from ftgate.domain.waiver import Waiver
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
    waived: int = 0  # decisions replayed with the waivers recorded with them

    @property
    def changed(self) -> int:
        return len(self.changes)


def answer_of(policy: CompiledPolicy, row: StoredDecision,
              waivers: tuple[Waiver, ...] | None = None) -> Answer | None:
    """What `policy` answers to the stored input, with the waivers recorded with it (given,
    or read from the row); None when its validation refuses it."""
    from ftgate.api.convert import profile_from_proto

    project = pb.ProjectProfile.FromString(row.project)
    try:
        profile = profile_from_proto(project)
    except InvalidProfile:
        return None
    if waivers is None:
        waivers = recorded_waivers(row)
    d = policy.decide(profile, waivers=waivers, now_us=row.decided_at_us)
    return (enums.VERDICT.full(d.verdict),
            None if d.outcome is None else enums.OUTCOME.full(d.outcome))


def recorded_waivers(row: StoredDecision) -> tuple[Waiver, ...]:
    """The waivers a stored decision was made under (its Assessment's waivers_applied), as
    they stood then: not revoked."""
    return tuple(Waiver(m.id, m.project_name, tuple(m.rule_ids), m.reason, m.ticket,
                        m.approved_by, m.created_at.ToMicroseconds(),
                        m.expires_at.ToMicroseconds())
                 for m in pb.Assessment.FromString(row.assessment).waivers_applied)


def replay(policy: CompiledPolicy, rows: Iterable[StoredDecision]) -> ReplayReport:
    """Decide each stored input under `policy` and compare."""
    transitions: Counter[tuple[Answer, Answer]] = Counter()
    changes: list[Change] = []
    unreadable: list[str] = []
    damaged: list[str] = []
    replayed = waived = 0
    for row in rows:
        if damage.problem(row) is not None:
            damaged.append(damage.decision_id_of(row))
            continue
        waivers = recorded_waivers(row)
        after = answer_of(policy, row, waivers)
        if after is None:
            unreadable.append(row.decision_id)
            continue
        replayed += 1
        waived += bool(waivers)
        before = (row.verdict, row.outcome)
        transitions[before, after] += 1
        if after != before:
            changes.append(Change(row.decision_id, row.project_name, before, after))
    return ReplayReport(policy.ruleset.version, replayed, dict(transitions), tuple(changes),
                        tuple(unreadable), tuple(damaged), waived)
