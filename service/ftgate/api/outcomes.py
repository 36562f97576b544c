"""RecordOutcome: an outcome checked field by field, stored beside its decision, counted.

`outcome_from_proto` is the one reader of a ProjectOutcome: the gRPC and HTTP doors (through
AdvisorService) and `ftgate outcomes record --audit-db` all check outcomes with it.
"""

from __future__ import annotations

import math
import time

from ftgate.api.audit_queries import parse_decision_id
from ftgate.api.convert import text_problems
from ftgate.api.errors import FailedPrecondition, NotFound, Unavailable
from ftgate.audit.backend import AuditStore
from ftgate.audit.errors import StoreError
from ftgate.audit.outcome_report import result_of, target_score_of
from ftgate.audit.outcomes import Recorded, StoredOutcome
from ftgate.errors import InvalidInput, Violation
from ftgate.obs.metrics import OUTCOMES_RECORDED
from ftgate.v1 import advisor_pb2 as pb

MAX_MONEY = 1e12
MAX_REQUESTS = 1e12
MAX_RUNS = 1_000_000
MAX_NOTE_CHARS = 2000


def _number(value: float, field: str, low: float, high: float, expected: str,
            violations: list[Violation]) -> float | None:
    if not math.isfinite(value):
        violations.append(Violation(field, f"must be a finite number ({expected})"))
        return None
    if not low <= value <= high:
        violations.append(Violation(field, f"must be {expected}, got {value:g}"))
        return None
    return value


def outcome_from_proto(decision_id: str, outcome: pb.ProjectOutcome, recorded_at_us: int,
                       prefix: str = "outcome.") -> StoredOutcome:
    """The outcome to store; InvalidInput naming each bad field (`outcome.measured_score`...)."""
    violations: list[Violation] = []
    try:
        canonical = parse_decision_id(decision_id)
    except InvalidInput as exc:
        violations += exc.violations
        canonical = decision_id
    o = outcome
    score = savings = requests = None
    if o.HasField("measured_score"):
        score = _number(o.measured_score, f"{prefix}measured_score", 0.0, 1.0, "in [0, 1]",
                        violations)
    if o.HasField("monthly_savings_usd"):
        savings = _number(o.monthly_savings_usd, f"{prefix}monthly_savings_usd", -MAX_MONEY,
                          MAX_MONEY, "between -10^12 and 10^12 USD", violations)
    if o.HasField("requests_per_day"):
        requests = _number(o.requests_per_day, f"{prefix}requests_per_day", 0.0, MAX_REQUESTS,
                           "between 0 and 10^12", violations)
    runs = o.retraining_runs_last_year if o.HasField("retraining_runs_last_year") else None
    if runs is not None and not 0 <= runs <= MAX_RUNS:
        violations.append(Violation(f"{prefix}retraining_runs_last_year",
                                    f"must be between 0 and {MAX_RUNS:,}, got {runs}"))
    violations += (Violation(f"{prefix}note", p) for p in text_problems(o.note, MAX_NOTE_CHARS))
    if violations:
        raise InvalidInput(violations)
    return StoredOutcome(canonical, recorded_at_us, o.fine_tuned,
                         o.met_target if o.HasField("met_target") else None,
                         score, savings, requests, runs, o.note)


def store_outcome(store: AuditStore, outcome: StoredOutcome) -> Recorded:
    """Store a checked outcome and count it (ftgate_outcomes_recorded_total); NotFound
    when no decision has its id, Unavailable when the store cannot answer."""
    try:
        recorded = store.record_outcome(outcome)
        row = store.get(outcome.decision_id) if recorded is not None else None
    except StoreError as exc:
        raise Unavailable(f"the audit store cannot answer now: {exc}") from None
    if recorded is None or row is None:
        raise NotFound(f"no decision {outcome.decision_id}")
    OUTCOMES_RECORDED.labels(recorded.verdict.removeprefix("VERDICT_"),
                             result_of(outcome, target_score_of(row))).inc()
    return recorded


def record_outcome(store: AuditStore | None,
                   request: pb.RecordOutcomeRequest) -> pb.RecordOutcomeResponse:
    """RecordOutcome (the audit log must be on: FAILED_PRECONDITION otherwise)."""
    if store is None:
        raise FailedPrecondition("the audit log is off: start the server with --audit-db PATH")
    if not request.HasField("outcome"):  # (an absent one would read as "not fine-tuned")
        raise InvalidInput([Violation("outcome", "missing: give at least fine_tuned")])
    outcome = outcome_from_proto(request.decision_id, request.outcome, time.time_ns() // 1000)
    recorded = store_outcome(store, outcome)
    response = pb.RecordOutcomeResponse(decision_id=outcome.decision_id,
                                        verdict=pb.Verdict.Value(recorded.verdict),
                                        replaced=recorded.replaced)
    response.recorded_at.FromMicroseconds(outcome.recorded_at_us)
    return response
