"""CheckRegression: compare a fine-tuned candidate with its baseline, task by task (docs/rules.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ftgate.domain.money import exact, product
from ftgate.errors import InvalidInput, Violation


@dataclass(frozen=True, slots=True)
class TaskDelta:
    task: str
    baseline: float
    candidate: float
    ratio: float
    degraded: bool


@dataclass(frozen=True, slots=True)
class RegressionReport:
    deltas: tuple[TaskDelta, ...]
    passed: bool
    tolerance: float


def _scores(side: str, scores: list[tuple[str, float]]) -> tuple[dict[str, float], list[Violation]]:
    seen: dict[str, float] = {}
    bad: list[Violation] = []
    for i, (task, score) in enumerate(scores):
        if not task:
            bad.append(Violation(f"{side}[{i}].task", "must not be empty"))
        elif task in seen:
            bad.append(Violation(f"{side}[{i}].task", f"task {task!r} appears twice"))
        if not math.isfinite(score) or not 0.0 <= score <= 1.0:
            bad.append(Violation(f"{side}[{i}].score", f"must be a number in [0, 1], got {score}"))
        seen[task] = score
    return seen, bad


def check_regression(
    baseline: list[tuple[str, float]],
    candidate: list[tuple[str, float]],
    tolerance: float | None,
    default_tolerance: float,
) -> RegressionReport:
    """A task is degraded when candidate < tolerance × baseline; every task must be on both sides."""
    base, bad = _scores("baseline", baseline)
    cand, bad_c = _scores("candidate", candidate)
    bad += bad_c
    tol = default_tolerance if tolerance is None else tolerance
    if not math.isfinite(tol) or not 0.0 < tol <= 1.0:
        bad.append(Violation("tolerance", f"must be in (0, 1], got {tol}"))
    if not base:
        bad.append(Violation("baseline", "must list at least one task"))
    for i, (task, _) in enumerate(baseline):
        if task and task not in cand:
            bad.append(Violation(f"baseline[{i}].task", f"task {task!r} has no candidate score"))
    for i, (task, _) in enumerate(candidate):
        if task and task not in base:
            bad.append(Violation(f"candidate[{i}].task", f"task {task!r} has no baseline score"))
    if bad:
        raise InvalidInput(bad)
    deltas = tuple(
        TaskDelta(
            task=task,
            baseline=b,
            candidate=cand[task],
            ratio=cand[task] / b if b else 0.0,
            # In decimal: 0.063 is exactly 0.9 × 0.07 (in binary, 0.9 × 0.07 > 0.063).
            degraded=exact(cand[task]) < product(tol, b),
        )
        for task, b in base.items()
    )
    return RegressionReport(deltas, not any(d.degraded for d in deltas), tol)
