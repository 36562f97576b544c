"""Did the advice hold? The outcomes report, computed once for every door.

`report(store, since, until)` is what `ftgate outcomes report` prints and what
`GET /v1/outcomes:summary` answers (docs/outcomes.md describes each figure). For the decisions made
in [since, until) and the latest outcome of each:

- by verdict: how many fine-tuned and met their target, fine-tuned and missed it, fine-tuned with
  no way to tell, did not fine-tune, or have no outcome yet;
- savings: for FINE_TUNE decisions that were fine-tuned, measured monthly savings against those
  predicted, and the break-even that follows from them against the predicted one (median ratio,
  quartiles, extremes);
- by rule: for each rule that blocked a DO_NOT_FINE_TUNE decision, the same counts: how the
  projects it refused fared, fine-tuned anyway or not.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from ftgate.audit.outcomes import StoredOutcome
from ftgate.audit.store import StoredDecision
from ftgate.v1 import advisor_pb2 as pb

VERDICTS = ("FINE_TUNE", "DO_NOT_FINE_TUNE", "NEEDS_INFORMATION")
RESULTS = ("met_target", "missed_target", "target_unknown", "not_fine_tuned")
BUCKETS = (*RESULTS, "no_outcome")
BLOCKER = "SEVERITY_BLOCKER"
MAX_POINTS = 1000  # points of the predicted-vs-measured chart (the first ones, oldest first)


class OutcomeSource(Protocol):
    """What the report reads of a store (audit/backend.py's AuditStore)."""

    def scan(self, since_us: int | None = None, until_us: int | None = None,
             chunk: int = 500) -> Iterable[StoredDecision]: ...
    def latest_outcomes(self, since_us: int | None = None,
                        until_us: int | None = None) -> dict[str, StoredOutcome]: ...


def result_of(outcome: StoredOutcome, target_score: float | None) -> str:
    """One of RESULTS. An unreported met_target is read from the measured score and the
    decision's target score when both are known; else the target is `target_unknown`."""
    if not outcome.fine_tuned:
        return "not_fine_tuned"
    met = outcome.met_target
    if met is None and outcome.measured_score is not None and target_score is not None:
        met = outcome.measured_score >= target_score
    if met is None:
        return "target_unknown"
    return "met_target" if met else "missed_target"


def target_score_of(row: StoredDecision) -> float | None:
    project = pb.ProjectProfile.FromString(row.project)
    return project.target_score if project.HasField("target_score") else None


def _blocking_rules(row: StoredDecision) -> list[str]:
    try:
        findings = json.loads(row.findings)
    except ValueError:
        return []
    return sorted({str(f.get("rule_id")) for f in findings
                   if isinstance(f, dict) and f.get("severity") == BLOCKER})


def spread(values: list[float]) -> dict[str, float] | None:
    """Median, quartiles (linear between the nearest ranks) and extremes; None when empty."""
    if not values:
        return None
    v = sorted(values)

    def at(q: float) -> float:
        pos = (len(v) - 1) * q
        low = int(pos)
        high = min(low + 1, len(v) - 1)
        return v[low] + (v[high] - v[low]) * (pos - low)

    return {"n": len(v), "median": round(at(0.5), 6), "p25": round(at(0.25), 6),
            "p75": round(at(0.75), 6), "min": round(v[0], 6), "max": round(v[-1], 6)}


class _Savings:
    def __init__(self) -> None:
        self.savings_ratios: list[float] = []
        self.break_even_ratios: list[float] = []
        self.never_broke_even = 0
        self.without_figures = 0
        self.points: list[dict[str, Any]] = []

    def add(self, row: StoredDecision, outcome: StoredOutcome) -> None:
        roi = pb.Assessment.FromString(row.assessment).roi
        measured = outcome.monthly_savings_usd
        if measured is None or not roi.HasField("monthly_savings_usd") or \
                roi.monthly_savings_usd <= 0:
            self.without_figures += 1
            return
        predicted = roi.monthly_savings_usd
        self.savings_ratios.append(measured / predicted)
        if len(self.points) < MAX_POINTS:
            self.points.append({"decision_id": row.decision_id, "project_name": row.project_name,
                                "predicted_monthly_savings_usd": round(predicted, 2),
                                "measured_monthly_savings_usd": round(measured, 2)})
        if measured <= 0:
            self.never_broke_even += 1
            return
        economics = pb.ProjectProfile.FromString(row.project).economics
        if roi.HasField("break_even_months") and roi.break_even_months > 0 and \
                economics.HasField("investment_usd"):
            measured_months = economics.investment_usd / measured
            self.break_even_ratios.append(measured_months / roi.break_even_months)

    def summary(self) -> dict[str, Any]:
        return {"compared": len(self.savings_ratios),
                "without_figures": self.without_figures,
                "monthly_savings_ratio": spread(self.savings_ratios),
                "break_even_ratio": spread(self.break_even_ratios),
                "never_broke_even": self.never_broke_even,
                "points": self.points}


def summarize(rows: Iterable[StoredDecision],
              latest: Mapping[str, StoredOutcome]) -> dict[str, Any]:
    """The report (module docstring) of these decisions, given the latest outcome of each."""
    by_verdict = {v: dict.fromkeys(BUCKETS, 0) for v in VERDICTS}
    by_rule: dict[str, dict[str, int]] = {}
    savings = _Savings()
    decisions = 0
    for row in rows:
        decisions += 1
        verdict = row.verdict.removeprefix("VERDICT_")
        outcome = latest.get(row.decision_id)
        bucket = "no_outcome" if outcome is None else result_of(outcome, target_score_of(row))
        by_verdict.setdefault(verdict, dict.fromkeys(BUCKETS, 0))[bucket] += 1
        if verdict == "FINE_TUNE" and outcome is not None and outcome.fine_tuned:
            savings.add(row, outcome)
        if verdict == "DO_NOT_FINE_TUNE":
            for rule in _blocking_rules(row):
                counts = by_rule.setdefault(rule, {"refused": 0, "fine_tuned_anyway": 0,
                                                   **dict.fromkeys(BUCKETS, 0)})
                counts["refused"] += 1
                counts[bucket] += 1
                counts["fine_tuned_anyway"] += outcome is not None and outcome.fine_tuned
    return {"decisions": decisions,
            "with_outcome": decisions - sum(c["no_outcome"] for c in by_verdict.values()),
            "by_verdict": by_verdict, "savings": savings.summary(),
            "by_rule": dict(sorted(by_rule.items()))}


def report(store: OutcomeSource, since_us: int | None = None,
           until_us: int | None = None) -> dict[str, Any]:
    """The report of the decisions made in [since, until) in `store`."""
    latest = store.latest_outcomes(since_us, until_us)
    return summarize(store.scan(since_us, until_us), latest)
