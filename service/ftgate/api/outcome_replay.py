"""Judge a candidate ruleset by outcomes: of the projects whose outcome is known, how many that
met their target would it refuse, and how many that missed it would it allow?

Only decisions whose latest outcome says met_target or missed_target (audit/outcome_report.py's
`result_of`: reported, or read from the measured and target scores) are judged; each is decided
again under the candidate, as `ftgate rules replay` does, and compared with what was recorded.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ftgate.api.replay import answer_of
from ftgate.audit import damage
from ftgate.audit.outcome_report import result_of, target_score_of
from ftgate.audit.outcomes import StoredOutcome
from ftgate.audit.store import StoredDecision
from ftgate.engine import CompiledPolicy

REFUSED, ALLOWED = "VERDICT_DO_NOT_FINE_TUNE", "VERDICT_FINE_TUNE"
MAX_IDS = 1000  # ids listed per kind of change


def judge(policy: CompiledPolicy, rows: Iterable[StoredDecision],
          latest: Mapping[str, StoredOutcome]) -> dict[str, Any]:
    """The recorded and the candidate's refusals of projects that met their target, and
    allowances of projects that missed it (ids of those the candidate changes)."""
    met = {"total": 0, "refused_recorded": 0, "refused_candidate": 0}
    missed = {"total": 0, "allowed_recorded": 0, "allowed_candidate": 0}
    newly_refused: list[str] = []
    newly_allowed: list[str] = []
    for row in rows:
        if damage.problem(row) is not None:  # reported by the replay itself
            continue
        outcome = latest.get(row.decision_id)
        if outcome is None:
            continue
        result = result_of(outcome, target_score_of(row))
        if result not in ("met_target", "missed_target"):
            continue
        answer = answer_of(policy, row)
        if answer is None:  # the candidate refuses the stored input itself
            continue
        verdict = answer[0]
        if result == "met_target":
            met["total"] += 1
            met["refused_recorded"] += row.verdict == REFUSED
            met["refused_candidate"] += verdict == REFUSED
            if verdict == REFUSED and row.verdict != REFUSED and len(newly_refused) < MAX_IDS:
                newly_refused.append(row.decision_id)
        else:
            missed["total"] += 1
            missed["allowed_recorded"] += row.verdict == ALLOWED
            missed["allowed_candidate"] += verdict == ALLOWED
            if verdict == ALLOWED and row.verdict != ALLOWED and len(newly_allowed) < MAX_IDS:
                newly_allowed.append(row.decision_id)
    return {"met_target": met, "missed_target": missed,
            "met_target_newly_refused": newly_refused,
            "missed_target_newly_allowed": newly_allowed}
